using System.Text.Json;
using Dapper;
using Kestrel.Platform;

namespace Kestrel.Alerts;

/// <summary>
/// Channels and rules of a project. Every statement filters on the caller's project, so an id of
/// another project's channel or rule is simply not found. Writes run on the single writer, and each
/// one makes the writer forget the rules it remembered, so the next event sees the change.
/// </summary>
public sealed class AlertStore(Database database, DatabaseWriter writer)
{
    private const string ChannelColumns = "id, project_id, name, kind, url, secret, recipients, last_error, last_error_at, created_at";
    private const string RuleColumns = "id, project_id, name, trigger, threshold, window_minutes, level, environment, cooldown_minutes, enabled, created_at";

    public IReadOnlyList<AlertChannel> Channels(long projectId)
    {
        using var connection = database.Connect();
        return connection.Query<ChannelRow>($"SELECT {ChannelColumns} FROM alert_channels WHERE project_id = @projectId ORDER BY id", new { projectId })
            .Select(r => r.ToChannel()).ToList();
    }

    public AlertChannel? Channel(long projectId, long id)
    {
        using var connection = database.Connect();
        return connection.QuerySingleOrDefault<ChannelRow>($"SELECT {ChannelColumns} FROM alert_channels WHERE project_id = @projectId AND id = @id",
            new { projectId, id })?.ToChannel();
    }

    public IReadOnlyList<AlertRule> Rules(long projectId)
    {
        using var connection = database.Connect();
        var links = connection.Query<(long RuleId, long ChannelId)>(
            "SELECT l.rule_id, l.channel_id FROM alert_rule_channels l JOIN alert_rules r ON r.id = l.rule_id WHERE r.project_id = @projectId ORDER BY l.channel_id",
            new { projectId }).ToLookup(l => l.RuleId, l => l.ChannelId);
        return connection.Query<RuleRow>($"SELECT {RuleColumns} FROM alert_rules WHERE project_id = @projectId ORDER BY id", new { projectId })
            .Select(r => r.ToRule(links[r.id].ToList())).ToList();
    }

    public AlertRule? Rule(long projectId, long id) => Rules(projectId).FirstOrDefault(r => r.Id == id);

    public Task<AlertChannel> CreateChannelAsync(long projectId, ChannelDraft d, long now) => writer.WriteAsync(session =>
    {
        session.Memo<AlertRuleMemo>().Forget();
        var id = session.Connection.ExecuteScalar<long>(
            "INSERT INTO alert_channels (project_id, name, kind, url, secret, recipients, created_at) VALUES (@projectId, @Name, @Kind, @Url, @Secret, @to, @now) RETURNING id",
            new { projectId, d.Name, d.Kind, d.Url, d.Secret, to = Recipients(d), now }, session.Transaction);
        return new AlertChannel(id, projectId, d.Name!, d.Kind!, d.Url, d.Secret, d.To ?? [], null, null, now);
    });

    // A changed address may work now: the last failure belongs to the old one. "The same address" compares nulls as
    // equal: SQLite's IS, PostgreSQL's IS NOT DISTINCT FROM.
    private const string UpdateChannelSql = """
        UPDATE alert_channels SET name = @Name, url = @Url, secret = @Secret, recipients = @to,
            last_error = CASE WHEN url IS @Url AND recipients IS @to THEN last_error END,
            last_error_at = CASE WHEN url IS @Url AND recipients IS @to THEN last_error_at END
        WHERE project_id = @projectId AND id = @id
        """;

    private const string UpdateChannelPostgresSql = """
        UPDATE alert_channels SET name = @Name, url = @Url, secret = @Secret, recipients = @to,
            last_error = CASE WHEN url IS NOT DISTINCT FROM @Url AND recipients IS NOT DISTINCT FROM @to THEN last_error END,
            last_error_at = CASE WHEN url IS NOT DISTINCT FROM @Url AND recipients IS NOT DISTINCT FROM @to THEN last_error_at END
        WHERE project_id = @projectId AND id = @id
        """;

    public Task<bool> UpdateChannelAsync(long projectId, long id, ChannelDraft d) => writer.WriteAsync(session =>
    {
        session.Memo<AlertRuleMemo>().Forget();
        return session.Connection.Execute(database.Engine == DatabaseEngine.Postgres ? UpdateChannelPostgresSql : UpdateChannelSql,
            new { projectId, id, d.Name, d.Url, d.Secret, to = Recipients(d) }, session.Transaction) == 1;
    });

    /// <summary>Deletes the channel, takes it out of its rules, and fails what still waits to go to it.</summary>
    public Task<bool> DeleteChannelAsync(long projectId, long id, long now) => writer.WriteAsync(session =>
    {
        session.Memo<AlertRuleMemo>().Forget();
        var t = session.Transaction;
        if (session.Connection.Execute("DELETE FROM alert_channels WHERE project_id = @projectId AND id = @id", new { projectId, id }, t) == 0) return false;
        session.Connection.Execute("DELETE FROM alert_rule_channels WHERE channel_id = @id", new { id }, t);
        session.Connection.Execute("""
            UPDATE alert_deliveries SET status = 'failed', error = 'The channel was deleted.', next_attempt_at = NULL, delivered_at = NULL
            WHERE channel_id = @id AND status = 'pending'
            """, new { id, now }, t);
        return true;
    });

    /// <returns>the rule, or an error naming channel_ids when one is not a channel of this project</returns>
    public Task<(AlertRule? Rule, string? Error)> SaveRuleAsync(long projectId, long? id, RuleDraft d, long now) => writer.WriteAsync<(AlertRule?, string?)>(session =>
    {
        session.Memo<AlertRuleMemo>().Forget();
        var c = session.Connection;
        var t = session.Transaction;
        var known = c.Query<long>("SELECT id FROM alert_channels WHERE project_id = @projectId", new { projectId }, t).ToHashSet();
        if (d.ChannelIds!.Where(ch => !known.Contains(ch)).Select(ch => (long?)ch).FirstOrDefault() is { } missing)
            return (null, $"channel_ids: channel {missing} does not exist in this project.");
        var values = new { projectId, id, d.Name, d.Trigger, d.Threshold, d.WindowMinutes, d.Level, d.Environment, d.CooldownMinutes, enabled = d.Enabled ? 1 : 0, now };
        long ruleId;
        if (id is null)
            ruleId = c.ExecuteScalar<long>("""
                INSERT INTO alert_rules (project_id, name, trigger, threshold, window_minutes, level, environment, cooldown_minutes, enabled, created_at)
                VALUES (@projectId, @Name, @Trigger, @Threshold, @WindowMinutes, @Level, @Environment, @CooldownMinutes, @enabled, @now) RETURNING id
                """, values, t);
        else if (c.Execute("""
                UPDATE alert_rules SET name = @Name, trigger = @Trigger, threshold = @Threshold, window_minutes = @WindowMinutes, level = @Level,
                    environment = @Environment, cooldown_minutes = @CooldownMinutes, enabled = @enabled
                WHERE project_id = @projectId AND id = @id
                """, values, t) == 0) return (null, null);
        else ruleId = id.Value;
        c.Execute("DELETE FROM alert_rule_channels WHERE rule_id = @ruleId", new { ruleId }, t);
        c.Execute("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES (@ruleId, @channelId)", d.ChannelIds!.Select(ch => new { ruleId, channelId = ch }), t);
        var created = c.QuerySingle<long>("SELECT created_at FROM alert_rules WHERE id = @ruleId", new { ruleId }, t);
        return (new AlertRule(ruleId, projectId, d.Name!, d.Trigger!, d.Threshold, d.WindowMinutes, d.Level, d.Environment, d.CooldownMinutes, d.Enabled,
            d.ChannelIds!.Order().ToList(), created), null);
    });

    public Task<bool> DeleteRuleAsync(long projectId, long id) => writer.WriteAsync(session =>
    {
        session.Memo<AlertRuleMemo>().Forget();
        var t = session.Transaction;
        if (session.Connection.Execute("DELETE FROM alert_rules WHERE project_id = @projectId AND id = @id", new { projectId, id }, t) == 0) return false;
        session.Connection.Execute("DELETE FROM alert_rule_channels WHERE rule_id = @id", new { id }, t);
        session.Connection.Execute("DELETE FROM alert_rule_fired WHERE rule_id = @id", new { id }, t);
        return true;
    });

    private static string? Recipients(ChannelDraft d) => d.Kind == "email" ? JsonSerializer.Serialize(d.To) : null;

    private sealed record ChannelRow(long id, long project_id, string name, string kind, string? url, string? secret, string? recipients,
        string? last_error, long? last_error_at, long created_at)
    {
        public AlertChannel ToChannel() => new(id, project_id, name, kind, url, secret,
            recipients is null ? [] : JsonSerializer.Deserialize<List<string>>(recipients) ?? [], last_error, last_error_at, created_at);
    }

    private sealed record RuleRow(long id, long project_id, string name, string trigger, long? threshold, long? window_minutes, string? level,
        string? environment, long cooldown_minutes, long enabled, long created_at)
    {
        public AlertRule ToRule(IReadOnlyList<long> channels) => new(id, project_id, name, trigger, (int?)threshold, (int?)window_minutes, level,
            environment, (int)cooldown_minutes, enabled != 0, channels, created_at);
    }
}
