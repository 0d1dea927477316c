using System.Runtime.InteropServices;
using Kestrel.Ingest;
using Kestrel.Platform;
using System.Data.Common;
using Row = System.Collections.Generic.KeyValuePair<(long Issue, string Key, string Value), Kestrel.Tags.IssueTagCounts.Sum>;

namespace Kestrel.Tags;

/// <summary>
/// The tag part of storing events (step 050, on the writer): the tags of every event stored in one write
/// transaction summed per (issue, key, value), then one upsert per sum, before the commit. A new value
/// of the <c>user</c> tag adds one to the issue's <c>users_affected</c>, so that count is exact without
/// ever counting rows. The releases of the first and latest events (<see cref="ReleasesOf"/>) go on the issue with its counts.
/// </summary>
public sealed class IssueTagCounts
{
    internal struct Sum
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

    // SQLite: one row per statement, prepared once and bound by position (SqliteStatement). Not a JSON row set (RowSet) as
    // the other writes use: a transaction of single events counts about 20 tag rows per event, and reading seven columns of
    // each row back out of JSON (value->>i) took a fifth of the writer's time (perf). An update first, and an insert only
    // when it found no row: once an issue has been seen for a while nearly every row exists, and an update finds it with
    // one B-tree search where an upsert searches twice (the insert's uniqueness check, then the update's own search). Only
    // the writer writes these rows, so nothing can insert one in between. A row the update did not find is new, which is
    // all the user rows need to know.
    private const string UpdateRowSqlite = """
        UPDATE issue_tags SET count = count + ?4, last_seen = max(last_seen, ?5) WHERE issue_id = ?1 AND key = ?2 AND value = ?3
        """;

    private const string InsertRowSqlite = """
        INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        """;

    // issue, key, value, project, count, first seen, last seen
    private const string RowColumns = "nttnnnn";

    // PostgreSQL: every row of the transaction in one statement (unnest, RowSet says why), which also adds to each issue's
    // users_affected the user rows it inserted (a row whose count after is this transaction's count was new), so the
    // statement needs no answer and goes in the writer's batch. The user rows, about one in seventeen, are upserted apart
    // from the rest so that only they are returned and joined back to r: one upsert of every row with RETURNING took
    // 15 % longer, and arrays stored 20 % fewer events per second (docs/performance.md, Step 9). Each upsert takes its
    // rows in key order and every node runs the two the same way, so two nodes counting the same rows wait for each other
    // instead of deadlocking. A bare column is ambiguous beside excluded there, and max() is only the aggregate.
    private static string UpsertRows(string which) => $"""
        INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen)
            SELECT c0, c1, c2, c3, c4, c5, c6 FROM r WHERE {which}
            ON CONFLICT (issue_id, key, value) DO UPDATE SET count = issue_tags.count + excluded.count, last_seen = greatest(issue_tags.last_seen, excluded.last_seen)
        """;

    private static readonly string CountRowsPostgres = "WITH r AS (SELECT * FROM "
        + RowSet.Statement(RowColumns, "{0}").Postgres + "),\n"
        + "other_rows AS (" + UpsertRows("c1 <> 'user'") + "),\n"
        + "user_rows AS (" + UpsertRows("c1 = 'user'") + " RETURNING issue_tags.issue_id, issue_tags.key, issue_tags.value, issue_tags.count),\n"
        + """
        new_users AS (
            SELECT user_rows.issue_id, count(*) AS n FROM user_rows JOIN r ON r.c0 = user_rows.issue_id AND r.c1 = user_rows.key AND r.c2 = user_rows.value
            WHERE user_rows.count = r.c4
            GROUP BY user_rows.issue_id)
        UPDATE issues SET users_affected = users_affected + new_users.n FROM new_users WHERE issues.id = new_users.issue_id
        """;

    private const string IssueColumns = "nn"; // issue, new users

    private const string UsersText = """
        UPDATE issues SET users_affected = users_affected + r.c1
        FROM {0}
        WHERE issues.id = r.c0
        """;

    private static readonly Dialect<string> UsersSql = RowSet.Statement(IssueColumns, UsersText);

    private readonly RowSet issueRows = new(IssueColumns);
    private readonly RowSet postgresRows = new(RowColumns);

    /// <summary>SQLite: writes the sums now, one prepared update per row (and an insert for a row it did not find).</summary>
    public void Write(WriterSession session)
    {
        if (sums.Count == 0) return;
        Dictionary<long, int>? newUsers = null;
        var update = session.Statement(UpdateRowSqlite);
        var insert = session.Statement(InsertRowSqlite);
        // In the order the sums were made, not sorted: only this writer writes these rows, so there is no lock order to
        // keep, and sorting them cost more than it saved (docs/performance.md, Step 12).
        foreach (var ((issue, key, value), sum) in sums)
        {
            if (update.Bind(1, issue).Bind(2, key).Bind(3, value).Bind(4, sum.Count).Bind(5, sum.LastSeen).Run() != 0) continue;
            insert.Bind(1, issue).Bind(2, key).Bind(3, value).Bind(4, sum.Project).Bind(5, sum.Count).Bind(6, sum.FirstSeen).Bind(7, sum.LastSeen).Run();
            if (key == "user") (newUsers ??= [])[issue] = newUsers.GetValueOrDefault(issue) + 1;
        }
        if (newUsers is null) return;
        foreach (var (issue, n) in newUsers) issueRows.Add(issue).Add(n);
        issueRows.SqliteCommand(session, UsersSql).ExecuteNonQuery();
    }

    /// <summary>PostgreSQL: adds the statements that write the sums to the writer's batch.</summary>
    public void AddTo(DbBatch batch)
    {
        if (sums.Count == 0) return;
        foreach (var ((issue, key, value), sum) in InLockOrder())
        {
            postgresRows.Add(issue).Add(key).Add(value).Add(sum.Project).Add(sum.Count).Add(sum.FirstSeen).Add(sum.LastSeen);
            if (postgresRows.Count == RowsPerStatement) Flush(batch);
        }
        Flush(batch);
    }

    /// <summary>The releases of the issue's first and latest events in this transaction (null when they named none).</summary>
    public (string? First, string? Last) ReleasesOf(long issueId) => releases.GetValueOrDefault(issueId);

    /// <summary>
    /// PostgreSQL: in primary-key order, so that two nodes counting the same rows lock them in the same order (one
    /// statement, in key order) and wait for each other instead of deadlocking.
    /// </summary>
    private ReadOnlySpan<KeyValuePair<(long Issue, string Key, string Value), Sum>> InLockOrder()
    {
        var rows = sums.Count > MaxKeptOrdered ? new Row[sums.Count]
            : ordered.Length >= sums.Count ? ordered
            : ordered = new Row[Math.Min(Math.Max(sums.Count, 2 * ordered.Length), MaxKeptOrdered)];
        ((ICollection<Row>)sums).CopyTo(rows, 0);
        var span = rows.AsSpan(0, sums.Count);
        if (rows == ordered) orderedInUse = sums.Count;
        span.Sort(ByPrimaryKey.Instance);
        return span;
    }

    // The sorted rows, in one array kept for every transaction: an array made for each was about a twentieth of what the
    // server allocated per single event. A storm's larger transactions get an array of their own, not kept.
    private Row[] ordered = [];
    private int orderedInUse;
    private const int MaxKeptOrdered = 16 * 1024;

    private sealed class ByPrimaryKey : IComparer<Row>
    {
        public static readonly ByPrimaryKey Instance = new();

        public int Compare(Row a, Row b) =>
            a.Key.Issue != b.Key.Issue ? a.Key.Issue.CompareTo(b.Key.Issue)
            : string.CompareOrdinal(a.Key.Key, b.Key.Key) is var byKey and not 0 ? byKey : string.CompareOrdinal(a.Key.Value, b.Key.Value);
    }

    /// <summary>
    /// PostgreSQL's rows per statement: enough that a transaction of single events is one statement, few enough that a
    /// storm's batch of arrays does not bind arrays of megabytes.
    /// </summary>
    private const int RowsPerStatement = 1_000;

    private void Flush(DbBatch batch)
    {
        if (postgresRows.Count == 0) return;
        postgresRows.AddTo(batch, CountRowsPostgres);
        postgresRows.Clear();
    }

    public void Clear()
    {
        ordered.AsSpan(0, orderedInUse).Clear(); // not to keep the last transaction's strings alive
        orderedInUse = 0;
        sums.Clear();
        postgresRows.Clear();
        issueRows.Clear();
        releases.Clear();
    }
}
