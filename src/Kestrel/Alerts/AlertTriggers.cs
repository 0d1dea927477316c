using System.Text.Json;
using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.Alerts;

/// <summary>
/// The enabled rules of each project, as the writer last read them. Every change of a rule or channel
/// made through this node runs on its writer and calls <see cref="IWriterMemo.Forget"/>, so an event never
/// sees stale rules, and a project without rules costs ingest one dictionary look-up per request. On
/// PostgreSQL another node may change them: there a project's rules are read again once they are
/// <see cref="SharedFreshness"/> old, so a change made anywhere counts everywhere within that time.
/// </summary>
public sealed class AlertRuleMemo : IWriterMemo
{
    private const long SharedFreshness = 2_000; // ms
    private readonly Dictionary<long, (AlertRule[] Rules, long ReadAt)> rules = [];

    public AlertRule[] For(WriterSession session, long projectId)
    {
        var now = Environment.TickCount64;
        if (rules.TryGetValue(projectId, out var known)
            && (session.Connection is Microsoft.Data.Sqlite.SqliteConnection || now - known.ReadAt < SharedFreshness)) return known.Rules;
        var command = session.Command("""
            SELECT r.id, r.trigger, r.threshold, r.window_minutes, r.level, r.environment, r.cooldown_minutes, l.channel_id
            FROM alert_rules r JOIN alert_rule_channels l ON l.rule_id = r.id
            WHERE r.project_id = @project AND r.enabled = 1 ORDER BY r.id, l.channel_id
            """, "@project");
        command.Parameters[0].Value = projectId;
        var found = new List<(AlertRule Rule, List<long> Channels)>();
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                if (found.Count == 0 || found[^1].Rule.Id != id)
                {
                    var channels = new List<long>();
                    found.Add((new AlertRule(id, projectId, "", reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                        reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                        reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), true, channels, 0), channels));
                }
                found[^1].Channels.Add(reader.GetInt64(7));
            }
        var read = found.Select(f => f.Rule).ToArray();
        rules[projectId] = (read, now);
        return read;
    }

    public void Forget() => rules.Clear();
}

/// <summary>
/// Decides, inside the transaction that stores a request's events, which rules fire, and writes one
/// outbox row per channel of each rule that fires (so a crash loses no notification and a retried
/// request fires none twice). It does not decide what is new or a regression: it reads what the
/// event store did to each issue (created it; found it resolved and left it open).
/// </summary>
public sealed class AlertTriggers
{
    private readonly WriterSession session;
    private readonly long projectId;
    private readonly long now;
    private readonly AlertRule[] rules;
    private readonly Dictionary<long, IssueOutcome> issues = [];

    private sealed class IssueOutcome
    {
        public readonly List<PreparedEvent> Events = [];
        public bool Regressed;
        public long EventCount;
    }

    private AlertTriggers(WriterSession session, long projectId, long now, AlertRule[] rules)
    {
        this.session = session;
        this.projectId = projectId;
        this.now = now;
        this.rules = rules;
    }

    /// <returns>null when the project has no enabled rule: then nothing more is done for alerts</returns>
    public static AlertTriggers? Start(WriterSession session, long projectId, long now)
    {
        var rules = session.Memo<AlertRuleMemo>().For(session, projectId);
        return rules.Length == 0 ? null : new AlertTriggers(session, projectId, now, rules);
    }

    /// <summary>An event was stored (not a resend) on the issue.</summary>
    public void Stored(long issueId, PreparedEvent e)
    {
        if (!issues.TryGetValue(issueId, out var outcome)) issues[issueId] = outcome = new IssueOutcome();
        outcome.Events.Add(e);
    }

    /// <summary>
    /// What counting the issue's events did: whether the regression rule reopened it (<see cref="Issues.Regressions.Check"/>
    /// answered for this transaction, so on PostgreSQL only one node sees the regression) and its count after.
    /// </summary>
    public void Counted(long issueId, bool regressed, long eventCount)
    {
        var outcome = issues[issueId];
        outcome.Regressed = regressed;
        outcome.EventCount = eventCount;
    }

    /// <param name="created">issues the request made (some may have been taken back as unused)</param>
    public void Decide(IEnumerable<long>? created)
    {
        var isNew = created?.ToHashSet() ?? [];
        foreach (var (issueId, outcome) in issues)
        {
            // A regression re-arms every rule for the issue (PRODUCT.md §14).
            if (outcome.Regressed) Execute("DELETE FROM alert_rule_fired WHERE issue_id = @issue", ("@issue", issueId));
            foreach (var rule in rules)
            {
                var applies = rule.Trigger switch
                {
                    "new_issue" => isNew.Contains(issueId),
                    "regression" => outcome.Regressed,
                    // An issue with fewer events than the threshold in all cannot have that many in a window.
                    "spike" => outcome.EventCount >= rule.Threshold,
                    _ => false,
                };
                if (!applies) continue;
                var match = outcome.Events.FirstOrDefault(e => AlertKinds.LevelAtLeast(e.Level, rule.Level)
                    && (rule.Environment is null || rule.Environment == e.Environment));
                if (match is null || (rule.Trigger != "new_issue" && CoolingDown(rule, issueId))) continue;
                if (rule.Trigger == "spike" && !Spiking(rule, issueId)) continue;
                Fire(rule, issueId, match);
            }
        }
    }

    private bool CoolingDown(AlertRule rule, long issueId)
    {
        var command = session.Command("SELECT fired_at FROM alert_rule_fired WHERE rule_id = @rule AND issue_id = @issue", "@rule", "@issue");
        command.Parameters[0].Value = rule.Id;
        command.Parameters[1].Value = issueId;
        return command.ExecuteScalar() is long firedAt && now < firedAt + rule.CooldownMinutes * 60_000L;
    }

    /// <summary>
    /// Whether the issue's newest <c>threshold</c> events all arrived inside the window: true when the
    /// threshold-th newest did (events are stored in arrival order, so ids and receive times rise together).
    /// The index of the issue's events is walked <c>threshold</c> entries deep, but only that one event's row is
    /// read (SQLite skips OFFSET rows before it seeks the table), where counting them would read every row.
    /// </summary>
    private bool Spiking(AlertRule rule, long issueId)
    {
        var command = session.Command(
            "SELECT received_at FROM events WHERE issue_id = @issue ORDER BY id DESC LIMIT 1 OFFSET @skip", "@issue", "@skip");
        command.Parameters[0].Value = issueId;
        command.Parameters[1].Value = rule.Threshold!.Value - 1;
        return command.ExecuteScalar() is long receivedAt && receivedAt >= now - rule.WindowMinutes!.Value * 60_000L;
    }

    private void Fire(AlertRule rule, long issueId, PreparedEvent e)
    {
        // An issue is made once, so a new-issue rule needs no cooldown row (a flood of new issues writes less).
        if (rule.Trigger != "new_issue")
            Execute("""
                INSERT INTO alert_rule_fired (rule_id, issue_id, fired_at) VALUES (@rule, @issue, @now)
                ON CONFLICT (rule_id, issue_id) DO UPDATE SET fired_at = excluded.fired_at
                """, ("@rule", rule.Id), ("@issue", issueId), ("@now", now));
        var detail = JsonSerializer.Serialize(new EventDetail(e.EventId, Cut(e.Release), Cut(e.Environment), e.OccurredAtMs, e.Level,
            rule.Trigger == "spike" ? rule.Threshold : null, rule.WindowMinutes), EventDetail.Json);
        foreach (var channelId in rule.ChannelIds)
            DeliveryStore.Insert(session, Guid.NewGuid(), projectId, rule.Id, channelId, issueId, rule.Trigger, detail, now);
    }

    private static string? Cut(string? text) => text is { Length: > 200 } ? text[..200] : text;

    private void Execute(string sql, params (string Name, object Value)[] values)
    {
        var command = session.Command(sql, values.Select(v => v.Name).ToArray());
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i].Value;
        command.ExecuteNonQuery();
    }
}

/// <summary>What a notification says about the event that caused it, kept in the outbox row.</summary>
public sealed record EventDetail(string Id, string? Release, string? Environment, long TimestampMs, string Level, int? Threshold = null, int? WindowMinutes = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
