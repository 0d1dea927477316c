using Dapper;
using Kestrel.Platform;

namespace Kestrel.Projects.Pages;

/// <summary>Counts per project for the project list, from the issues table (events are counted by their issues, which retention keeps).</summary>
public sealed class ProjectStats
{
    public long ProjectId { get; init; }
    public long Issues { get; init; }
    public long OpenIssues { get; init; }
    public long Events { get; init; }
    public long? LastSeen { get; init; }

    /// <remarks>
    /// Both queries read indexes only (issues_by_status_events covers the counts, issues_by_last_seen
    /// gives each project's newest issue), never the issue rows: the list stays quick with many issues.
    /// </remarks>
    public static Dictionary<long, ProjectStats> All(Database database)
    {
        using var connection = database.Connect();
        var lastSeen = connection.Query<(long ProjectId, long? LastSeen)>(
            "SELECT p.id, (SELECT MAX(last_seen) FROM issues WHERE project_id = p.id) FROM projects p").ToDictionary(r => r.ProjectId, r => r.LastSeen);
        return connection.Query<(long ProjectId, string Status, long Issues, long Events)>(
                "SELECT project_id, status, COUNT(*), CAST(SUM(event_count) AS BIGINT) FROM issues GROUP BY project_id, status")
            .GroupBy(r => r.ProjectId)
            .ToDictionary(g => g.Key, g => new ProjectStats
            {
                ProjectId = g.Key,
                Issues = g.Sum(r => r.Issues),
                OpenIssues = g.Where(r => r.Status == "open").Sum(r => r.Issues),
                Events = g.Sum(r => r.Events),
                LastSeen = lastSeen.GetValueOrDefault(g.Key),
            });
    }
}
