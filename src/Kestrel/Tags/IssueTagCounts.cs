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

    private const string Upsert = """
        ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)
        """;

    // PostgreSQL: a bare column is ambiguous beside excluded, and max() is only the aggregate there.
    private const string UpsertPostgres = """
        ON CONFLICT (issue_id, key, value) DO UPDATE SET count = issue_tags.count + excluded.count, last_seen = greatest(issue_tags.last_seen, excluded.last_seen)
        """;

    private const string Columns = "INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES ";

    private const string UserRow = "(@issue, @key, @value, @project, @count, @first, @last)\n";

    // The user tag's rows one at a time: the count after the upsert tells whether the user is new to the issue.
    private static readonly Dialect<string> CountUserSql = new(Columns + UserRow + Upsert + "RETURNING count", Columns + UserRow + UpsertPostgres + "RETURNING issue_tags.count");

    /// <summary>Rows per statement for the other tags: one statement instead of many saves most of the per-statement cost.</summary>
    private const int RowsPerStatement = 16;

    private static readonly string[] ParameterNames = [.. Enumerable.Range(0, RowsPerStatement * 7).Select(i => "@p" + i)];

    /// <summary>The upsert of <paramref name="rows"/> rows (1 to <see cref="RowsPerStatement"/>), made once per size.</summary>
    private static readonly Dialect<string[]> CountValuesSql = new(Statements(Upsert), Statements(UpsertPostgres));

    private static string[] Statements(string upsert) => [.. Enumerable.Range(0, RowsPerStatement + 1).Select(rows => rows == 0 ? "" :
        Columns + string.Join(", ", Enumerable.Range(0, rows).Select(r => "(" + string.Join(", ", ParameterNames.Skip(r * 7).Take(7)) + ")")) + "\n" + upsert)];

    private const string IssueSql = """
        UPDATE issues SET
            users_affected = users_affected + @newUsers,
            first_release = coalesce(first_release, @first),
            last_release = coalesce(@last, last_release)
        WHERE id = @issue
        """;

    public void Write(WriterSession session)
    {
        if (sums.Count == 0) return;
        Dictionary<long, int>? newUsers = null;
        // In primary-key order: neighbouring rows share B-tree pages, so each page is found once; and on PostgreSQL two
        // nodes counting the same rows lock them in the same order, so they wait for each other instead of deadlocking.
        var ordered = sums.ToArray();
        Array.Sort(ordered, static (a, b) => a.Key.Issue != b.Key.Issue ? a.Key.Issue.CompareTo(b.Key.Issue)
            : string.CompareOrdinal(a.Key.Key, b.Key.Key) is var byKey and not 0 ? byKey : string.CompareOrdinal(a.Key.Value, b.Key.Value));
        var user = session.Command(CountUserSql.For(session), "@issue", "@key", "@value", "@project", "@count", "@first", "@last");
        var pending = new KeyValuePair<(long Issue, string Key, string Value), Sum>[RowsPerStatement];
        var held = 0;
        foreach (var row in ordered)
        {
            if (row.Key.Key != "user")
            {
                pending[held++] = row;
                if (held == RowsPerStatement) { CountValues(session, pending, held); held = 0; }
                continue;
            }
            Bind(user, 0, row);
            // The count after the upsert equals what this transaction added only when the row is new.
            if ((long)user.ExecuteScalar()! == row.Value.Count) (newUsers ??= [])[row.Key.Issue] = newUsers.GetValueOrDefault(row.Key.Issue) + 1;
        }
        if (held > 0) CountValues(session, pending, held);

        var update = session.Command(IssueSql, "@issue", "@newUsers", "@first", "@last");
        foreach (var issueId in releases.Keys.Union(newUsers?.Keys ?? Enumerable.Empty<long>()).Order()) // in key order, as above
        {
            var (first, last) = releases.GetValueOrDefault(issueId);
            update.Parameters[0].Value = issueId;
            update.Parameters[1].Value = newUsers?.GetValueOrDefault(issueId) ?? 0;
            update.Parameters[2].Value = (object?)first ?? DBNull.Value;
            update.Parameters[3].Value = (object?)last ?? DBNull.Value;
            update.ExecuteNonQuery();
        }
    }

    private static void CountValues(WriterSession session, KeyValuePair<(long Issue, string Key, string Value), Sum>[] rows, int count)
    {
        var upsert = session.Command(CountValuesSql.For(session)[count], ParameterNames[..(count * 7)]);
        for (var i = 0; i < count; i++) Bind(upsert, i * 7, rows[i]);
        upsert.ExecuteNonQuery();
    }

    private static void Bind(DbCommand command, int at, KeyValuePair<(long Issue, string Key, string Value), Sum> row)
    {
        var p = command.Parameters;
        p[at].Value = row.Key.Issue;
        p[at + 1].Value = row.Key.Key;
        p[at + 2].Value = row.Key.Value;
        p[at + 3].Value = row.Value.Project;
        p[at + 4].Value = row.Value.Count;
        p[at + 5].Value = row.Value.FirstSeen;
        p[at + 6].Value = row.Value.LastSeen;
    }

    public void Clear()
    {
        sums.Clear();
        releases.Clear();
    }
}
