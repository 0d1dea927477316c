using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.Tags;

/// <summary>
/// The tag part of storing a request's events (step 050, on the writer): the events' tags summed per
/// (issue, key, value), then one upsert per sum, in the transaction that stores the events. A new
/// value of the <c>user</c> tag adds one to the issue's <c>users_affected</c>, so that count is exact
/// without ever counting rows; the releases of the first and latest events go on the issue too.
/// </summary>
public sealed class IssueTagCounts
{
    private readonly Dictionary<(long Issue, string Key, string Value), int> counts = [];
    private readonly Dictionary<long, (string? First, string? Last)> releases = [];

    /// <summary>Counts a stored event (not a resend) of issue <paramref name="issueId"/>.</summary>
    public void Add(long issueId, PreparedEvent e)
    {
        string? release = null;
        foreach (var (key, value) in e.Tags.Tags)
        {
            var sum = (issueId, key, value);
            counts[sum] = counts.GetValueOrDefault(sum) + 1;
            if (key == "release") release = value;
        }
        if (release is null) return;
        releases[issueId] = releases.TryGetValue(issueId, out var known) ? (known.First, release) : (release, release);
    }

    private const string CountValueSql = """
        INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES ($issue, $key, $value, $project, $count, $now, $now)
        ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)
        RETURNING count
        """;

    private const string IssueSql = """
        UPDATE issues SET
            users_affected = users_affected + $newUsers,
            first_release = coalesce(first_release, $first),
            last_release = coalesce($last, last_release)
        WHERE id = $issue
        """;

    public void Write(WriterSession session, long projectId, long nowMs)
    {
        if (counts.Count == 0) return;
        var upsert = session.Command(CountValueSql, "$issue", "$key", "$value", "$project", "$count", "$now");
        Dictionary<long, int>? newUsers = null;
        foreach (var ((issueId, key, value), n) in counts)
        {
            upsert.Parameters[0].Value = issueId;
            upsert.Parameters[1].Value = key;
            upsert.Parameters[2].Value = value;
            upsert.Parameters[3].Value = projectId;
            upsert.Parameters[4].Value = n;
            upsert.Parameters[5].Value = nowMs;
            // The count after the upsert equals what this request added only when the row is new.
            var total = (long)upsert.ExecuteScalar()!;
            if (key == "user" && total == n) (newUsers ??= [])[issueId] = newUsers.GetValueOrDefault(issueId) + 1;
        }

        var update = session.Command(IssueSql, "$issue", "$newUsers", "$first", "$last");
        foreach (var issueId in releases.Keys.Union(newUsers?.Keys ?? Enumerable.Empty<long>()))
        {
            var (first, last) = releases.GetValueOrDefault(issueId);
            update.Parameters[0].Value = issueId;
            update.Parameters[1].Value = newUsers?.GetValueOrDefault(issueId) ?? 0;
            update.Parameters[2].Value = (object?)first ?? DBNull.Value;
            update.Parameters[3].Value = (object?)last ?? DBNull.Value;
            update.ExecuteNonQuery();
        }
    }
}
