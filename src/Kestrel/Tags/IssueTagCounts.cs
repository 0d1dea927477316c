using Kestrel.Ingest;
using Kestrel.Platform;

namespace Kestrel.Tags;

/// <summary>
/// The tag part of storing events (step 050, on the writer): the tags of every event stored in one write
/// transaction summed per (issue, key, value), then one upsert per sum, before the commit. A new value
/// of the <c>user</c> tag adds one to the issue's <c>users_affected</c>, so that count is exact without
/// ever counting rows; the releases of the first and latest events go on the issue too.
/// </summary>
public sealed class IssueTagCounts
{
    private struct Sum
    {
        public long Project;
        public int Count;
        public long FirstSeen;
        public long LastSeen;
    }

    private readonly Dictionary<(long Issue, string Key, string Value), Sum> sums = [];
    private readonly Dictionary<long, (string? First, string? Last)> releases = [];

    /// <summary>Counts a stored event (not a resend) of issue <paramref name="issueId"/>.</summary>
    public void Add(long projectId, long issueId, PreparedEvent e, long nowMs)
    {
        string? release = null;
        foreach (var (key, value) in e.Tags.Tags)
        {
            ref var sum = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(sums, (issueId, key, value), out var known);
            if (!known) sum = new Sum { Project = projectId, FirstSeen = nowMs };
            sum.Count++;
            sum.LastSeen = Math.Max(sum.LastSeen, nowMs);
            if (key == "release") release = value;
        }
        if (release is null) return;
        releases[issueId] = releases.TryGetValue(issueId, out var seen) ? (seen.First, release) : (release, release);
    }

    private const string CountValueSql = """
        INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES ($issue, $key, $value, $project, $count, $first, $last)
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

    public void Write(WriterSession session)
    {
        if (sums.Count == 0) return;
        var upsert = session.Command(CountValueSql, "$issue", "$key", "$value", "$project", "$count", "$first", "$last");
        Dictionary<long, int>? newUsers = null;
        // In primary-key order: neighbouring rows share B-tree pages, so each page is found once.
        var ordered = sums.ToArray();
        Array.Sort(ordered, static (a, b) => a.Key.Issue != b.Key.Issue ? a.Key.Issue.CompareTo(b.Key.Issue)
            : string.CompareOrdinal(a.Key.Key, b.Key.Key) is var byKey and not 0 ? byKey : string.CompareOrdinal(a.Key.Value, b.Key.Value));
        foreach (var ((issueId, key, value), sum) in ordered)
        {
            upsert.Parameters[0].Value = issueId;
            upsert.Parameters[1].Value = key;
            upsert.Parameters[2].Value = value;
            upsert.Parameters[3].Value = sum.Project;
            upsert.Parameters[4].Value = sum.Count;
            upsert.Parameters[5].Value = sum.FirstSeen;
            upsert.Parameters[6].Value = sum.LastSeen;
            // The count after the upsert equals what this transaction added only when the row is new.
            var total = (long)upsert.ExecuteScalar()!;
            if (key == "user" && total == sum.Count) (newUsers ??= [])[issueId] = newUsers.GetValueOrDefault(issueId) + 1;
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

    public void Clear()
    {
        sums.Clear();
        releases.Clear();
    }
}
