using System.IO.Compression;
using Microsoft.Data.Sqlite;

namespace Kestrel.Bench;

/// <summary>
/// Fills a data directory's kestrel.db (schema made by the real server's migrations, through
/// <c>kestrel project create</c>) with many issues and events, straight through SQLite in one
/// transaction: minutes of ingest in seconds. Events spread evenly over the last 14 days; issues get
/// them by a Zipf-like law (a few hot issues, a long tail); every issue has at least one.
/// The build runs without a journal and without the secondary indexes, which are made again at the end:
/// one sorted pass per index instead of a million inserts scattered over each of them.
/// </summary>
public static class PageData
{
    public sealed record Summary(long ProjectId, long HotIssue, long TypicalIssue, string OldEventOfHotIssue, TimeSpan Took, long DatabaseBytes);

    public static Summary Fill(string databasePath, long projectId, int issueCount, int eventCount, Random random)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var catalog = IssueCatalog.Create(issueCount, random);
        // Stored payloads: real SDK-shaped events (3-8 KB), Brotli-compressed as Kestrel stores them, from
        // a reused pool. Pages decode only the event they show, so only each issue's latest event and
        // every tenth event carry one; the rest carry a small message event, which keeps the database
        // at about a quarter of the size (and its build time) that full payloads everywhere would need.
        var factory = new EventFactory(random);
        var payloads = Enumerable.Range(0, 512).Select(i => Compress(factory.Create(catalog[i % catalog.Count]))).ToArray();
        var small = Compress("{\"message\":\"background event\",\"level\":\"error\",\"platform\":\"python\"}"u8.ToArray());

        // Issue i gets a share of events proportional to 1 / (i + 1)^0.9.
        var cumulative = new double[issueCount];
        var total = 0.0;
        for (var i = 0; i < issueCount; i++) cumulative[i] = total += 1 / Math.Pow(i + 1, 0.9);
        var owners = new int[Math.Max(eventCount, issueCount)];
        for (var i = 0; i < owners.Length; i++)
        {
            if (i < issueCount) { owners[i] = i; continue; }
            var found = Array.BinarySearch(cumulative, random.NextDouble() * total);
            owners[i] = Math.Min(issueCount - 1, found >= 0 ? found : ~found);
        }
        random.Shuffle(owners);
        var latest = new int[issueCount];
        for (var k = 0; k < owners.Length; k++) latest[owners[k]] = k;

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var start = now - 14L * 24 * 3_600_000;
        var step = (double)(now - start) / owners.Length;
        var first = new long[issueCount];
        var last = new long[issueCount];
        var counts = new long[issueCount];
        var hourly = new Dictionary<(int Issue, long Hour), long>();

        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        // Nothing reads this database until it is built, and a failed build is thrown away: no journal, no fsync.
        Execute(connection, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY");
        var indexes = DropIndexes(connection, "events", "issues", "issue_tags", "issue_hourly", "releases");
        using var transaction = connection.BeginTransaction();
        var issueIds = InsertIssues(connection, transaction, projectId, catalog, random, now);

        using var insert = Command(connection, transaction,
            "INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload) VALUES ($p, $i, $e, $r, $r, $l, $b)",
            "$p", "$i", "$e", "$r", "$l", "$b");
        string? oldEventOfHot = null;
        for (var k = 0; k < owners.Length; k++)
        {
            var issue = owners[k];
            var at = start + (long)(k * step);
            if (counts[issue]++ == 0) first[issue] = at;
            last[issue] = at;
            var key = (issue, at / 3_600_000 * 3_600_000);
            hourly[key] = hourly.GetValueOrDefault(key) + 1;
            var eventId = Guid.NewGuid().ToString("N");
            if (issue == 0 && counts[issue] == 10) oldEventOfHot = eventId;
            insert.Parameters[0].Value = projectId;
            insert.Parameters[1].Value = issueIds[issue];
            insert.Parameters[2].Value = eventId;
            insert.Parameters[3].Value = at;
            insert.Parameters[4].Value = issue % 7 == 0 ? "warning" : "error";
            insert.Parameters[5].Value = latest[issue] == k || k % 10 == 0 || eventId == oldEventOfHot ? payloads[issue % payloads.Length] : small;
            insert.ExecuteNonQuery();
        }

        using var count = Command(connection, transaction, "UPDATE issues SET event_count = $c, first_seen = $f, last_seen = $l WHERE id = $i", "$c", "$f", "$l", "$i");
        for (var i = 0; i < issueCount; i++)
        {
            count.Parameters[0].Value = counts[i];
            count.Parameters[1].Value = first[i];
            count.Parameters[2].Value = last[i];
            count.Parameters[3].Value = issueIds[i];
            count.ExecuteNonQuery();
        }
        PageTags.Fill(connection, transaction, projectId, issueIds, owners, start, step, random);
        using var hour = Command(connection, transaction, "INSERT INTO issue_hourly (issue_id, hour, count) VALUES ($i, $h, $c)", "$i", "$h", "$c");
        foreach (var ((issue, h), n) in hourly)
        {
            hour.Parameters[0].Value = issueIds[issue];
            hour.Parameters[1].Value = h;
            hour.Parameters[2].Value = n;
            hour.ExecuteNonQuery();
        }
        transaction.Commit();
        foreach (var index in indexes) Execute(connection, index);
        Execute(connection, "PRAGMA journal_mode = WAL");
        return new Summary(projectId, issueIds[0], issueIds[issueCount / 2], oldEventOfHot!, started.Elapsed, new FileInfo(databasePath).Length);
    }

    /// <summary>Issues in the shape ingest makes them: 70% open (some regressed), 20% resolved, 10% ignored.</summary>
    private static long[] InsertIssues(SqliteConnection connection, SqliteTransaction transaction, long projectId, List<Issue> catalog, Random random, long now)
    {
        using var insert = Command(connection, transaction, """
            INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, status, event_count, first_seen, last_seen,
                                regressed_at, resolved_commit, resolved_at, ignore_reason)
            VALUES ($p, $f, 'v1', $t, $y, $c, $l, $s, 0, 0, 0, $g, $rc, $ra, $ir) RETURNING id
            """, "$p", "$f", "$t", "$y", "$c", "$l", "$s", "$g", "$rc", "$ra", "$ir");
        var ids = new long[catalog.Count];
        for (var i = 0; i < catalog.Count; i++)
        {
            var issue = catalog[i];
            var top = issue.Frames.Last(f => f.InApp);
            var roll = random.NextDouble();
            var status = roll < 0.7 ? "open" : roll < 0.9 ? "resolved" : "ignored";
            var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, issue.MessageFormat, top.Function, i, "pending", 500 + i % 9000);
            object?[] values = [projectId, $"bench-{i:x8}", $"{issue.Type}: {message}", issue.Type, $"{top.File} in {top.Function}",
                i % 7 == 0 ? "warning" : "error", status, status == "open" && i % 11 == 0 ? now - 3_600_000 : null,
                status == "resolved" ? "a1b2c3d4e5" : null, status == "resolved" ? now - 86_400_000 : null, status == "ignored" ? "noise" : null];
            for (var p = 0; p < values.Length; p++) insert.Parameters[p].Value = values[p] ?? DBNull.Value;
            ids[i] = (long)insert.ExecuteScalar()!;
        }
        return ids;
    }

    /// <returns>the statements that make the dropped indexes again</returns>
    private static List<string> DropIndexes(SqliteConnection connection, params string[] tables)
    {
        var indexes = new List<(string Name, string Sql)>();
        using (var read = connection.CreateCommand())
        {
            // sql is NULL for the indexes of UNIQUE and PRIMARY KEY constraints, which cannot be dropped.
            read.CommandText = $"SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(", ", tables.Select(t => $"'{t}'"))})";
            using var reader = read.ExecuteReader();
            while (reader.Read()) indexes.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (name, _) in indexes) Execute(connection, $"DROP INDEX \"{name}\"");
        return indexes.Select(i => i.Sql).ToList();
    }

    private static byte[] Compress(byte[] json)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(json.Length)];
        BrotliEncoder.TryCompress(json, buffer, out var written, quality: 0, window: 22);
        return buffer[..written];
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter(name, null));
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
