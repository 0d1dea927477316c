using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Issues;
using Kestrel.Platform;
using Kestrel.Search;

namespace Kestrel.Mcp;

/// <summary>
/// The reads that MCP resources and completion need beyond <see cref="IssueStore"/>: one event by its id, and
/// issues or events whose id or text starts or contains what a user typed. Every statement filters on the
/// caller's project, so another project's issue is as missing as one that never existed.
/// </summary>
public sealed class ResourceStore(Database database)
{
    /// <summary>What a completion offers at most; the protocol allows 100 values per answer.</summary>
    public const int MaxCompletions = 100;

    /// <returns>the event, or null when that issue of this project has no event with that id</returns>
    public EventView? Event(long projectId, long issueId, string eventId)
    {
        using var connection = database.Connect();
        var row = connection.QuerySingleOrDefault<EventRow>("""
            SELECT event_id AS EventId, received_at AS ReceivedAt, occurred_at AS OccurredAt, level AS Level, payload AS Payload
            FROM events WHERE project_id = @projectId AND event_id = @eventId AND issue_id = @issueId
            """, new { projectId, eventId, issueId });
        if (row is null) return null;
        using var document = JsonDocument.Parse(StoredPayload.Decompress(row.Payload), KestrelJson.StoredDocument);
        return new EventView(row.EventId, IssueView.Time(row.ReceivedAt), IssueView.Time(row.OccurredAt), row.Level, document.RootElement.Clone());
    }

    /// <summary>
    /// Ids of issues, most recently seen first, whose id starts with <paramref name="typed"/> or whose title or
    /// culprit contains it; one more than <see cref="MaxCompletions"/> when there are more.
    /// </summary>
    /// <param name="status">only issues with this status; any when null</param>
    public IReadOnlyList<long> MatchingIssues(long projectId, string? status, string typed)
    {
        // Words match whatever their ASCII case, as search's do (ILIKE on PostgreSQL).
        var like = SearchSql.Like(database.Engine);
        using var connection = database.Connect();
        return connection.Query<long>(
            "SELECT id FROM issues WHERE project_id = @projectId" + (status is null ? "" : " AND status = @status")
            + $" AND (CAST(id AS TEXT) LIKE @prefix ESCAPE '\\' OR title {like} @contains ESCAPE '\\' OR culprit {like} @contains ESCAPE '\\')"
            + " ORDER BY last_seen DESC, id DESC LIMIT @take",
            new
            {
                projectId, status,
                prefix = SearchSql.EscapeLike(typed) + "%",
                contains = "%" + SearchSql.EscapeLike(typed) + "%",
                take = MaxCompletions + 1,
            }).AsList();
    }

    /// <summary>Ids of an issue's events, newest first, that start with <paramref name="typed"/>; one more than <see cref="MaxCompletions"/> when there are more.</summary>
    /// <remarks>Event ids are stored in lower case and the typed prefix is lowered, so plain LIKE matches the same on both engines.</remarks>
    public IReadOnlyList<string> MatchingEvents(long projectId, long issueId, string typed)
    {
        using var connection = database.Connect();
        return connection.Query<string>("""
            SELECT event_id FROM events WHERE project_id = @projectId AND issue_id = @issueId AND event_id LIKE @prefix ESCAPE '\'
            ORDER BY id DESC LIMIT @take
            """, new { projectId, issueId, prefix = SearchSql.EscapeLike(typed.ToLowerInvariant()) + "%", take = MaxCompletions + 1 }).AsList();
    }

    private sealed record EventRow(string EventId, long ReceivedAt, long OccurredAt, string Level, byte[] Payload);
}
