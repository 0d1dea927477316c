using Dapper;
using Kestrel.Platform;

namespace Kestrel.Mcp;

/// <summary>Hourly event counts of one issue, from <c>issue_hourly</c> (kept by ingest), within the caller's project.</summary>
public sealed class TrendStore(Database database)
{
    private const long HourMs = 3_600_000;

    /// <returns>one count per hour, the current hour last; null when the issue does not exist in this project</returns>
    public ErrorTrend? Hourly(long projectId, long issueId, int hours, DateTimeOffset now)
    {
        var lastHour = now.ToUnixTimeMilliseconds() / HourMs * HourMs;
        var firstHour = lastHour - (hours - 1) * HourMs;
        using var connection = database.Connect();
        if (connection.ExecuteScalar<long?>("SELECT id FROM issues WHERE id = @issueId AND project_id = @projectId", new { issueId, projectId }) is null)
            return null;
        var counts = new long[hours];
        foreach (var (hour, count) in connection.Query<(long, long)>("""
            SELECT h.hour, h.count FROM issue_hourly h JOIN issues i ON i.id = h.issue_id
            WHERE h.issue_id = @issueId AND i.project_id = @projectId AND h.hour BETWEEN @firstHour AND @lastHour
            """, new { issueId, projectId, firstHour, lastHour }))
            counts[(hour - firstHour) / HourMs] += count;
        return new ErrorTrend(issueId, hours, DateTime.UnixEpoch.AddMilliseconds(firstHour), counts, counts.Sum());
    }
}
