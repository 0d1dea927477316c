using Dapper;
using Kestrel.Platform;

namespace Kestrel.Projects.Pages;

/// <summary>Counts per project for the project list, from the issues table (events are counted by their issues, which retention keeps).</summary>
public sealed record ProjectStats(long ProjectId, long Issues, long OpenIssues, long Events, long? LastSeen)
{
    public static Dictionary<long, ProjectStats> All(Database database)
    {
        using var connection = database.Open();
        return connection.Query<ProjectStats>("""
            SELECT project_id AS ProjectId, COUNT(*) AS Issues, SUM(status = 'open') AS OpenIssues, SUM(event_count) AS Events, MAX(last_seen) AS LastSeen
            FROM issues GROUP BY project_id
            """).ToDictionary(s => s.ProjectId);
    }
}
