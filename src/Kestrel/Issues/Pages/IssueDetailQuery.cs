using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.Issues.Pages;

/// <summary>One stored event with its normalised JSON.</summary>
public sealed record StoredEvent(string EventId, DateTime ReceivedAt, DateTime OccurredAt, string Level, JsonElement Json);

/// <summary>An event in the list of an issue's latest events.</summary>
public sealed record EventSummary(string EventId, long ReceivedAt, string Level);

/// <summary>Everything the issue page shows; <see cref="Event"/> is null only if retention removed every event.</summary>
public sealed record IssueDetail(IssueView Issue, StoredEvent? Event, string? NewerEventId, string? OlderEventId,
    IReadOnlyList<EventSummary> Latest, long[] Last24Hours, long[] Last14Days);

/// <summary>
/// The issue page's queries: the issue, one event (the latest, or the one asked for) and its neighbours
/// in arrival order, all through events_by_issue; charts from issue_hourly.
/// </summary>
public sealed class IssueDetailQuery(Database database, IssueStore issues)
{
    public const int LatestCount = 10;

    /// <returns>null when the issue is not in this project</returns>
    public IssueDetail? Run(long projectId, long issueId, string? eventId, DateTimeOffset now)
    {
        if (issues.Get(projectId, issueId) is not { } issue) return null;
        using var connection = database.Connect();
        var row = connection.QueryFirstOrDefault<EventRow>(
            "SELECT id AS Id, event_id AS EventId, received_at AS ReceivedAt, occurred_at AS OccurredAt, level AS Level, payload AS Payload FROM events WHERE project_id = @projectId AND issue_id = @issueId"
            + (eventId is null ? "" : " AND event_id = @eventId") + " ORDER BY id DESC LIMIT 1",
            new { projectId, issueId, eventId });

        StoredEvent? stored = null;
        string? newer = null, older = null;
        if (row is not null)
        {
            using var document = JsonDocument.Parse(StoredPayload.Decompress(row.Payload), KestrelJson.StoredDocument);
            stored = new StoredEvent(row.EventId, IssueView.Time(row.ReceivedAt), IssueView.Time(row.OccurredAt), row.Level, document.RootElement.Clone());
            newer = connection.QueryFirstOrDefault<string>(
                "SELECT event_id FROM events WHERE issue_id = @issueId AND id > @id ORDER BY id ASC LIMIT 1", new { issueId, id = row.Id });
            older = connection.QueryFirstOrDefault<string>(
                "SELECT event_id FROM events WHERE issue_id = @issueId AND id < @id ORDER BY id DESC LIMIT 1", new { issueId, id = row.Id });
        }
        var latest = connection.Query<EventSummary>(
            "SELECT event_id AS EventId, received_at AS ReceivedAt, level AS Level FROM events WHERE issue_id = @issueId ORDER BY id DESC LIMIT @take",
            new { issueId, take = LatestCount }).AsList();

        var hourly = IssueListQuery.Hourly(connection, [issueId], now, 24 * 14)[issueId];
        var daily = hourly.Chunk(24).Select(day => day.Sum()).ToArray();
        return new IssueDetail(issue, stored, newer, older, latest, hourly[^24..], daily);
    }

    private sealed record EventRow(long Id, string EventId, long ReceivedAt, long OccurredAt, string Level, byte[] Payload);
}
