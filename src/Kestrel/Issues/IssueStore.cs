using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using System.Data.Common;

namespace Kestrel.Issues;

/// <summary>
/// Reads and changes issues. Every method takes the caller's project id and every statement filters on it:
/// a token of one project cannot see or change another's issues, whatever id it asks for.
/// </summary>
/// <param name="writer">the server's writer; null in <c>kestrel mcp</c>, which writes in its own short transactions</param>
public sealed class IssueStore(Database database, DatabaseWriter? writer)
{
    internal const string Select = """
        SELECT i.id AS Id, i.project_id AS ProjectId, p.slug AS ProjectSlug, i.fingerprint AS Fingerprint, i.grouping_version AS GroupingVersion,
               i.title AS Title, i.type AS Type, i.culprit AS Culprit, i.level AS Level, i.status AS Status, i.event_count AS EventCount,
               i.first_seen AS FirstSeen, i.last_seen AS LastSeen, i.regressed_at AS RegressedAt, i.resolved_commit AS ResolvedCommit,
               i.resolved_note AS ResolvedNote, i.resolved_at AS ResolvedAt, i.ignore_reason AS IgnoreReason,
               i.resolved_in_release AS ResolvedInRelease, i.resolved_in_next_release AS ResolvedInNextRelease,
               i.resolved_after_release AS ResolvedAfterRelease, i.previous_resolution AS PreviousResolution,
               i.users_affected AS UsersAffected, i.first_release AS FirstRelease, i.last_release AS LastRelease
        FROM issues i JOIN projects p ON p.id = i.project_id
        """;

    /// <summary>Newest (or largest) first in the query's sort; ties broken by id so every page boundary is exact.</summary>
    public IssuePage List(long projectId, IssueQuery query, DateTimeOffset now)
    {
        var after = Cursor.Decode(query.Cursor, 2);
        var column = Search.SearchSql.Sorts[query.Sort];
        var parameters = new DynamicParameters(new
        {
            projectId,
            status = query.Status,
            since = query.Since?.ToUnixTimeMilliseconds(),
            afterKey = after?[0],
            afterId = after?[1],
            take = query.Limit + 1,
        });
        using var connection = database.Connect();
        var sql = Select + " WHERE i.project_id = @projectId"
            + (query.Status is null ? "" : " AND i.status = @status")
            + (query.Since is null ? "" : " AND i.last_seen >= @since")
            + Search.SearchSql.Conditions(database.Engine, query.Query ?? Search.SearchQuery.All, parameters, now, () => ReleaseOrder.Newest(connection, null, projectId))
            + (after is null ? "" : $" AND ({column} < @afterKey OR ({column} = @afterKey AND i.id < @afterId))")
            + $" ORDER BY {column} DESC, i.id DESC LIMIT @take";
        var rows = connection.Query<IssueRow>(sql, parameters).AsList();
        var next = rows.Count > query.Limit ? Cursor.Encode(Search.SearchSql.SortKey(column, rows[query.Limit - 1]), rows[query.Limit - 1].Id) : null;
        return new IssuePage(rows.Take(query.Limit).Select(IssueView.From).ToList(), next);
    }

    public IssueView? Get(long projectId, long issueId)
    {
        using var connection = database.Connect();
        var row = connection.QuerySingleOrDefault<IssueRow>(Select + " WHERE i.project_id = @projectId AND i.id = @issueId", new { projectId, issueId });
        return row is null ? null : IssueView.From(row);
    }

    /// <returns>null when the issue does not exist in this project</returns>
    public EventPage? Events(long projectId, long issueId, int limit, string? cursor) =>
        Get(projectId, issueId) is null ? null : EventsOfKnownIssue(projectId, issueId, limit, cursor);

    /// <summary>
    /// <see cref="Events"/> for a caller that has just read the issue itself (so the existence check is not run
    /// twice); the query still filters on the project.
    /// </summary>
    public EventPage EventsOfKnownIssue(long projectId, long issueId, int limit, string? cursor)
    {
        var after = Cursor.Decode(cursor, 1);
        using var connection = database.Connect();
        var rows = connection.Query<(long Id, string EventId, long ReceivedAt, long OccurredAt, string Level, byte[] Payload)>(
            "SELECT id, event_id, received_at, occurred_at, level, payload FROM events WHERE project_id = @projectId AND issue_id = @issueId"
            + (after is null ? "" : " AND id < @afterId") + " ORDER BY id DESC LIMIT @take",
            new { projectId, issueId, afterId = after?[0], take = limit + 1 }).AsList();
        var next = rows.Count > limit ? Cursor.Encode(rows[limit - 1].Id) : null;
        var page = rows.Take(limit).ToList();
        var feedback = Feedback(connection, projectId, page.Select(r => r.EventId).ToArray());
        var events = page.Select(r =>
        {
            using var document = JsonDocument.Parse(StoredPayload.Decompress(r.Payload), KestrelJson.StoredDocument);
            return new EventView(r.EventId, IssueView.Time(r.ReceivedAt), IssueView.Time(r.OccurredAt), r.Level, document.RootElement.Clone())
            {
                Feedback = feedback[r.EventId].ToList(),
            };
        }).ToList();
        return new EventPage(events, next);
    }

    // The first reports of each event, as many as ingest keeps (data stored before that cap may hold more).
    private static ILookup<string, FeedbackView> Feedback(DbConnection connection, long projectId, string[] eventIds) =>
        connection.Query<(string EventId, string Name, string Email, string Comments, string Url, long ReceivedAt)>($"""
            SELECT event_id, name, email, comments, url, received_at FROM (
                SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY id) AS n
                FROM user_feedback WHERE project_id = @projectId AND event_id {Sql.InList(connection, "@eventIds")}) AS numbered
            WHERE n <= @max ORDER BY id
            """, new { projectId, eventIds, max = UserFeedback.MaxPerEvent })
        .ToLookup(f => f.EventId, f => new FeedbackView(f.Name, f.Email, f.Comments, f.Url, IssueView.Time(f.ReceivedAt)));

    /// <param name="actor">who asks, one of <see cref="Actors"/>: the activity log records it</param>
    /// <returns>the changed issue, or null when it does not exist in this project</returns>
    public async Task<IssueView?> ChangeStatusAsync(long projectId, long issueId, StatusChange change, string actor, long nowMs, CancellationToken cancellationToken)
    {
        var changed = await IssueWrites.RunAsync(database, writer,
            (connection, transaction) => StatusChanges.Apply(connection, transaction, projectId, issueId, change, actor, nowMs), cancellationToken);
        return changed ? Get(projectId, issueId) : null;
    }
}
