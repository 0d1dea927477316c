using Dapper;
using Kestrel.Platform;

namespace Kestrel.Projects.Pages;

/// <summary>Counts per project for the project list, from the issues table (events are counted by their issues, which retention keeps).</summary>
public sealed class ProjectStats
{
    // A class with setters, not a positional record: with no rows SQLite reports no column types, and Dapper
    // then looks for a constructor taking byte arrays.
    public long ProjectId { get; init; }
    public long Issues { get; init; }
    public long OpenIssues { get; init; }
    public long Events { get; init; }
    public long? LastSeen { get; init; }

    public static Dictionary<long, ProjectStats> All(Database database)
    {
        using var connection = database.Open();
        return connection.Query<ProjectStats>("""
            SELECT project_id AS ProjectId, COUNT(*) AS Issues, SUM(status = 'open') AS OpenIssues, SUM(event_count) AS Events, MAX(last_seen) AS LastSeen
            FROM issues GROUP BY project_id
            """).ToDictionary(s => s.ProjectId);
    }
}
