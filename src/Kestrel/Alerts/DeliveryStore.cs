using System.Text.Json;
using Dapper;
using Kestrel.Issues;
using Kestrel.Platform;

namespace Kestrel.Alerts;

/// <summary>
/// The outbox: rows written with the events that caused them, read by <see cref="AlertDispatcher"/>,
/// and the delivery log the API and the UI show. Every change of a row runs on the writer.
/// </summary>
public sealed class DeliveryStore(Database database, DatabaseWriter? writer)
{
    private const string Columns = """
        id, project_id AS ProjectId, rule_id AS RuleId, channel_id AS ChannelId, issue_id AS IssueId, trigger, detail, status, held,
        digest_id AS DigestId, attempts, http_status AS HttpStatus, error, created_at AS CreatedAt, next_attempt_at AS NextAttemptAt, delivered_at AS DeliveredAt
        """;

    private const string InsertSql = """
        INSERT INTO alert_deliveries (id, project_id, rule_id, channel_id, issue_id, trigger, detail, created_at, next_attempt_at)
        VALUES (@id, @project, @rule, @channel, @issue, @trigger, @detail, @now, @now)
        """;

    /// <summary>Queues a delivery inside the writer's current transaction; it is due at once.</summary>
    public static void Insert(WriterSession session, Guid id, long projectId, long? ruleId, long channelId, long? issueId, string trigger, string? detail, long now)
    {
        var command = session.Command(InsertSql, "@id", "@project", "@rule", "@channel", "@issue", "@trigger", "@detail", "@now");
        command.Parameters[0].Value = id.ToString();
        command.Parameters[1].Value = projectId;
        command.Parameters[2].Value = (object?)ruleId ?? DBNull.Value;
        command.Parameters[3].Value = channelId;
        command.Parameters[4].Value = (object?)issueId ?? DBNull.Value;
        command.Parameters[5].Value = trigger;
        command.Parameters[6].Value = (object?)detail ?? DBNull.Value;
        command.Parameters[7].Value = now;
        command.ExecuteNonQuery();
    }

    private DatabaseWriter Writer => writer ?? throw new InvalidOperationException("This store was opened without the server's writer.");

    /// <summary>
    /// Newest first, a page at a time: keyset on (created_at, id), columns both engines have (PostgreSQL has no rowid),
    /// which the index alert_deliveries_by_project reads in order. Rows made in the same millisecond go by id.
    /// </summary>
    public DeliveryPage List(long projectId, int limit, string? cursor)
    {
        var after = DecodeCursor(cursor);
        using var connection = database.Connect();
        var rows = connection.Query<AlertDelivery>($"SELECT {Columns} FROM alert_deliveries WHERE project_id = @projectId"
            + (after is null ? "" : " AND (created_at < @createdAt OR (created_at = @createdAt AND id < @id))")
            + " ORDER BY created_at DESC, id DESC LIMIT @take",
            new { projectId, createdAt = after?.CreatedAt, id = after?.Id, take = limit + 1 }).AsList();
        var next = rows.Count > limit ? EncodeCursor(rows[limit - 1]) : null;
        return new DeliveryPage(rows.Take(limit).Select(DeliveryView.From).ToList(), next);
    }

    /// <summary>Whether <paramref name="cursor"/> is one <see cref="List"/> made.</summary>
    public static bool IsCursor(string cursor) => DecodeCursor(cursor) is not null;

    // A delivery id is a UUID: its 16 bytes travel in the cursor as two numbers after created_at.
    private static string EncodeCursor(AlertDelivery last)
    {
        var id = Guid.Parse(last.Id).ToByteArray();
        return Cursor.Encode(last.CreatedAt, BitConverter.ToInt64(id, 0), BitConverter.ToInt64(id, 8));
    }

    private static (long CreatedAt, string Id)? DecodeCursor(string? cursor)
    {
        if (Cursor.Decode(cursor, 3) is not { } keys) return null;
        var id = new byte[16];
        BitConverter.TryWriteBytes(id.AsSpan(0, 8), keys[1]);
        BitConverter.TryWriteBytes(id.AsSpan(8, 8), keys[2]);
        return (keys[0], new Guid(id).ToString());
    }

    public AlertDelivery? Get(string id)
    {
        using var connection = database.Connect();
        return connection.QuerySingleOrDefault<AlertDelivery>($"SELECT {Columns} FROM alert_deliveries WHERE id = @id", new { id });
    }

    /// <summary>Pending rows whose time has come, oldest first.</summary>
    public IReadOnlyList<AlertDelivery> Due(long now, int limit)
    {
        using var connection = database.Connect();
        return connection.Query<AlertDelivery>($"SELECT {Columns} FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= @now ORDER BY created_at, id LIMIT @limit",
            new { now, limit }).AsList();
    }

    /// <summary>The earliest time a pending row is due, or null when none waits.</summary>
    public long? NextDue()
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<long?>("SELECT min(next_attempt_at) FROM alert_deliveries WHERE status = 'pending'");
    }

    public Task<string> QueueAsync(long projectId, long channelId, string trigger, string? detail, long now, long? nextAttemptAt = null) =>
        Writer.WriteAsync(session =>
        {
            var id = Guid.NewGuid();
            Insert(session, id, projectId, null, channelId, null, trigger, detail, now);
            if (nextAttemptAt is { } next)
                session.Connection.Execute("UPDATE alert_deliveries SET next_attempt_at = @next WHERE id = @id", new { next, id = id.ToString() }, session.Transaction);
            return id.ToString();
        });

    /// <summary>
    /// Claims the delivery for one attempt: counts the attempt before it is made and moves the row's due time past the
    /// attempt's longest run, so a crash in the middle leads to one more attempt after the restart (same delivery id),
    /// never to none. Only a row still as <paramref name="d"/> read it is claimed: when another node (or a dispatcher
    /// that outlived its lease) claimed, held or postponed it meanwhile, this returns false and nothing is sent.
    /// </summary>
    public Task<bool> ClaimAsync(AlertDelivery d, long leaseUntil) => Writer.WriteAsync(session =>
        session.Connection.Execute("""
            UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = @leaseUntil
            WHERE id = @Id AND status = 'pending' AND held = 0 AND attempts = @Attempts AND next_attempt_at = @NextAttemptAt
            """, new { d.Id, d.Attempts, d.NextAttemptAt, leaseUntil }, session.Transaction) == 1);

    /// <summary>Records what an attempt got; a failure also becomes the channel's last error.</summary>
    /// <param name="nextAttemptAt">when to try again; null with <paramref name="delivered"/> false means given up</param>
    public Task RecordAsync(AlertDelivery d, bool delivered, int? code, string? error, long now, long? nextAttemptAt) => Writer.WriteAsync(session =>
    {
        var status = delivered ? "delivered" : nextAttemptAt is null ? "failed" : "pending";
        session.Connection.Execute("""
            UPDATE alert_deliveries SET status = @status, http_status = @code, error = @error, next_attempt_at = @nextAttemptAt,
                delivered_at = CASE WHEN @delivered THEN @now END
            WHERE id = @id
            """, new { id = d.Id, status, code, error, nextAttemptAt, delivered, now }, session.Transaction);
        if (error is not null)
            session.Connection.Execute("UPDATE alert_channels SET last_error = @error, last_error_at = @now WHERE id = @channel",
                new { error, now, channel = d.ChannelId }, session.Transaction);
        return 0;
    });

    /// <summary>
    /// Over the flood limit: the rows wait, without an attempt, for their channel's digest at its window's end.
    /// One transaction for a round's rows: a flood holds hundreds, and the writer is shared with ingest.
    /// </summary>
    public Task HoldAsync(IReadOnlyList<(string Id, long Until)> rows) => Writer.WriteAsync(session =>
        session.Connection.Execute("UPDATE alert_deliveries SET held = 1, next_attempt_at = @Until WHERE id = @Id", rows.Select(r => new { r.Id, r.Until }), session.Transaction));

    /// <summary>Postpones a row without counting an attempt (the hourly e-mail budget is spent).</summary>
    public Task PostponeAsync(string id, long until, string reason) => Writer.WriteAsync(session =>
        session.Connection.Execute("UPDATE alert_deliveries SET next_attempt_at = @until, error = @reason WHERE id = @id", new { id, until, reason }, session.Transaction));

    /// <summary>
    /// Makes one digest delivery of the held rows and marks them as carried by it, in one transaction. Only rows still
    /// pending are carried (another node may have carried them already); with none left, no digest is made (null).
    /// </summary>
    public Task<string?> DigestAsync(long projectId, long channelId, IReadOnlyList<AlertDelivery> held, long now) => Writer.WriteAsync(session =>
    {
        var id = Guid.NewGuid();
        var carried = held.Where(h => session.Connection.Execute("""
            UPDATE alert_deliveries SET status = 'delivered', held = 0, digest_id = @digest, next_attempt_at = NULL, delivered_at = @now
            WHERE id = @id AND status = 'pending' AND held = 1
            """, new { id = h.Id, digest = id.ToString(), now }, session.Transaction) == 1).ToList();
        if (carried.Count == 0) return null;
        var detail = new DigestDetail(carried.Count, carried.GroupBy(r => r.Trigger).ToDictionary(g => g.Key, g => g.Count()));
        Insert(session, id, projectId, null, channelId, null, "digest", JsonSerializer.Serialize(detail, EventDetail.Json), now);
        return (string?)id.ToString();
    });

    /// <summary>Forgets finished deliveries created before <paramref name="before"/> (KESTREL_RETENTION_DAYS, like events).</summary>
    public Task<int> PruneAsync(long before) => Writer.WriteAsync(session =>
        session.Connection.Execute("DELETE FROM alert_deliveries WHERE status <> 'pending' AND created_at < @before", new { before }, session.Transaction));

    /// <summary>Alert e-mails handed to the SMTP server since <paramref name="since"/>, every project together.</summary>
    public int EmailsSince(long since)
    {
        using var connection = database.Connect();
        return connection.ExecuteScalar<int>("""
            SELECT count(*) FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id
            WHERE c.kind = 'email' AND d.status = 'delivered' AND d.digest_id IS NULL AND d.delivered_at >= @since
            """, new { since });
    }
}
