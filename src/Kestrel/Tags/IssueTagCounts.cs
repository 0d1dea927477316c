using System.Runtime.InteropServices;
using Kestrel.Ingest;
using Kestrel.Platform;
using System.Data.Common;

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
            ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(sums, (issueId, key, value), out var known);
            if (!known) sum = new Sum { Project = projectId, FirstSeen = nowMs };
            sum.Count++;
            sum.LastSeen = Math.Max(sum.LastSeen, nowMs);
            if (key == "release") release = value;
        }
        if (release is null) return;
        releases[issueId] = releases.TryGetValue(issueId, out var seen) ? (seen.First, release) : (release, release);
    }

    // SQLite: one row per statement, prepared once and bound by position (SqliteTagUpserts says why); only the user
    // rows ask for their count back.
    internal const string CountRowSqlite = """
        INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)
        """;

    // issue, key, value, project, count, first seen, last seen
    private const string RowColumns = "nttnnnn";

    // PostgreSQL: every row of the transaction in one statement (unnest, RowSet says why), and only the user rows come
    // back (a round trip saved per transaction). A bare column is ambiguous beside excluded there, and max() is only the
    // aggregate.
    private static readonly string CountRowsPostgres = "WITH counted AS (\n"
        + RowSet.Statement(RowColumns, "INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen)\n"
            + "SELECT c0, c1, c2, c3, c4, c5, c6 FROM {0}\n").Postgres
        + "ON CONFLICT (issue_id, key, value) DO UPDATE SET count = issue_tags.count + excluded.count, last_seen = greatest(issue_tags.last_seen, excluded.last_seen)\n"
        + "RETURNING issue_tags.issue_id, issue_tags.key, issue_tags.value, issue_tags.count)\n"
        + "SELECT issue_id, value, count FROM counted WHERE key = 'user'";

    private const string IssueColumns = "nntt"; // issue, new users, first release, last release

    private const string IssuesText = """
        UPDATE issues SET
            users_affected = users_affected + r.c1,
            first_release = coalesce(first_release, r.c2),
            last_release = coalesce(r.c3, last_release)
        FROM {0}
        WHERE issues.id = r.c0
        """;

    private static readonly Dialect<string> IssuesSql = RowSet.Statement(IssueColumns, IssuesText);

    private readonly RowSet issueRows = new(IssueColumns);
    private readonly RowSet postgresRows = new(RowColumns);

    public void Write(WriterSession session)
    {
        if (sums.Count == 0) return;
        // In primary-key order: neighbouring rows share B-tree pages, so each page is found once; and on PostgreSQL two
        // nodes counting the same rows lock them in the same order (one statement, in key order), so they wait for each
        // other instead of deadlocking.
        var ordered = sums.ToArray();
        Array.Sort(ordered, static (a, b) => a.Key.Issue != b.Key.Issue ? a.Key.Issue.CompareTo(b.Key.Issue)
            : string.CompareOrdinal(a.Key.Key, b.Key.Key) is var byKey and not 0 ? byKey : string.CompareOrdinal(a.Key.Value, b.Key.Value));
        Dictionary<long, int>? newUsers = null;
        if (session.Engine == DatabaseEngine.Sqlite)
        {
            var upserts = session.Memo<SqliteTagUpserts>();
            foreach (var ((issue, key, value), sum) in ordered)
            {
                var user = key == "user";
                var after = upserts.Count(session, user, issue, key, value, sum.Project, sum.Count, sum.FirstSeen, sum.LastSeen);
                if (user && after == sum.Count) (newUsers ??= [])[issue] = newUsers.GetValueOrDefault(issue) + 1;
            }
        }
        else
        {
            foreach (var ((issue, key, value), sum) in ordered)
            {
                postgresRows.Add(issue).Add(key).Add(value).Add(sum.Project).Add(sum.Count).Add(sum.FirstSeen).Add(sum.LastSeen);
                if (postgresRows.Count == RowsPerStatement) Flush(session, ref newUsers);
            }
            Flush(session, ref newUsers);
        }

        foreach (var issueId in releases.Keys.Union(newUsers?.Keys ?? Enumerable.Empty<long>()).Order()) // in key order, as above
        {
            var (first, last) = releases.GetValueOrDefault(issueId);
            issueRows.Add(issueId).Add(newUsers?.GetValueOrDefault(issueId) ?? 0).Add(first).Add(last);
        }
        if (issueRows.Count > 0) issueRows.Command(session, IssuesSql).ExecuteNonQuery();
    }

    /// <summary>
    /// PostgreSQL's rows per statement: enough that a transaction of single events is one statement, few enough that a
    /// storm's batch of arrays does not bind arrays of megabytes.
    /// </summary>
    private const int RowsPerStatement = 1_000;

    /// <summary>PostgreSQL: upserts the rows held, counting in <paramref name="newUsers"/> the users new to their issue.</summary>
    private void Flush(WriterSession session, ref Dictionary<long, int>? newUsers)
    {
        if (postgresRows.Count == 0) return;
        using (var counted = postgresRows.PostgresCommand(session, CountRowsPostgres).ExecuteReader())
            while (counted.Read())
            {
                var issue = counted.GetInt64(0);
                if (counted.GetInt64(2) == sums[(issue, "user", counted.GetString(1))].Count)
                    (newUsers ??= [])[issue] = newUsers.GetValueOrDefault(issue) + 1;
            }
        postgresRows.Clear();
    }

    public void Clear()
    {
        sums.Clear();
        postgresRows.Clear();
        issueRows.Clear();
        releases.Clear();
    }
}
