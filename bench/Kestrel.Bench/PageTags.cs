using Microsoft.Data.Sqlite;

namespace Kestrel.Bench;

/// <summary>
/// The tags of <see cref="PageData"/>'s events, summed per issue as the writer keeps them (issue_tags,
/// users_affected, first and last release), and the project's releases in the order they were first seen,
/// so the search terms of PRODUCT §15 have realistic data: nine tags per event, releases advancing with
/// time (the newest, shop@2.19.0, only in the last 1.4 days, then a hotfix shop@2.18.1 first seen after it
/// in the last 5%, so first-seen order and version order disagree about the latest), a browser and OS mix,
/// shop URLs (a few under /checkout) and users drawn from 50,000.
/// </summary>
public static class PageTags
{
    private static readonly string[] Keys = ["level", "environment", "release", "browser", "browser.name", "os", "url", "server_name", "user"];
    private static readonly (string Value, double Share)[] Environments = [("production", 0.85), ("staging", 0.12), ("development", 0.03)];
    private static readonly (string Value, double Share)[] Browsers =
        [("Chrome 130", 0.5), ("Chrome 129", 0.15), ("Firefox 132", 0.12), ("Safari 18", 0.1), ("Edge 130", 0.08), ("Mobile Safari 17", 0.05)];
    private static readonly (string Value, double Share)[] Systems = [("Windows 10", 0.4), ("Mac OS X 10.15.7", 0.25), ("Android 14", 0.15), ("iOS 17.6", 0.1), ("Linux", 0.1)];
    /// <summary>40 pages of a shop; an issue's events come from three neighbouring ones.</summary>
    private static readonly string[] Paths =
    [
        "/", "/cart", "/checkout", "/checkout/shipping", "/checkout/payment", "/checkout/review", "/account", "/account/login",
        "/account/orders", "/search", .. Enumerable.Range(1, 30).Select(n => $"/products/{n}"),
    ];
    public const int Releases = 10;
    public const string Hotfix = "shop@2.18.1";

    public static void Fill(SqliteConnection connection, SqliteTransaction transaction, long projectId, long[] issueIds, int[] owners, long start, double step, Random random)
    {
        // (issue, key, value) → count, first and last event time; values are numbered per key in `names`.
        var sums = new Dictionary<(int Issue, int Key, int Value), (long Count, long First, long Last)>();
        var names = Keys.Select(_ => new List<string>()).ToArray();
        var numbers = Keys.Select(_ => new Dictionary<string, int>()).ToArray();
        var releaseFirstSeen = new Dictionary<string, long>();
        int Number(int key, string value)
        {
            if (numbers[key].TryGetValue(value, out var n)) return n;
            numbers[key][value] = n = names[key].Count;
            names[key].Add(value);
            return n;
        }
        var firstRelease = new string?[issueIds.Length];
        var lastRelease = new string[issueIds.Length];
        for (var k = 0; k < owners.Length; k++)
        {
            var issue = owners[k];
            var at = start + (long)(k * step);
            var release = k > owners.Length * 0.95 && random.NextDouble() < 0.2 ? Hotfix : $"shop@2.{10 + (long)k * Releases / owners.Length}.0";
            releaseFirstSeen.TryAdd(release, at);
            firstRelease[issue] ??= release;
            lastRelease[issue] = release;
            var browser = Pick(Browsers, random);
            string[] values = [issue % 7 == 0 ? "warning" : "error", Pick(Environments, random), release, browser, browser[..browser.LastIndexOf(' ')],
                Pick(Systems, random), "https://shop.example" + Paths[(issue + random.Next(3)) % Paths.Length], $"web-{random.Next(1, 13)}", $"id:{random.Next(50_000)}"];
            for (var key = 0; key < Keys.Length; key++)
            {
                var sum = (issue, key, Number(key, values[key]));
                sums[sum] = sums.TryGetValue(sum, out var s) ? (s.Count + 1, s.First, at) : (1, at, at);
            }
        }

        // In primary-key order (the table is WITHOUT ROWID): appending is far cheaper than inserting all over the tree.
        var rows = sums.Select(s => (Issue: issueIds[s.Key.Issue], Key: Keys[s.Key.Key], Value: names[s.Key.Key][s.Key.Value], s.Value))
            .OrderBy(r => r.Issue).ThenBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Value, StringComparer.Ordinal);
        using var insert = Command(connection, transaction,
            "INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES ($i, $k, $v, $p, $c, $f, $l)");
        var users = new Dictionary<long, long>();
        foreach (var (issue, key, value, (count, first, last)) in rows)
        {
            Run(insert, issue, key, value, projectId, count, first, last);
            if (key == "user") users[issue] = users.GetValueOrDefault(issue) + 1;
        }
        using var update = Command(connection, transaction, "UPDATE issues SET users_affected = $u, first_release = $f, last_release = $l WHERE id = $i");
        for (var i = 0; i < issueIds.Length; i++) Run(update, users[issueIds[i]], firstRelease[i]!, lastRelease[i], issueIds[i]);
        // The releases table orders names that are not versions (first seen first), as ingest fills it.
        using var releases = Command(connection, transaction, "INSERT INTO releases (project_id, name, created_at) VALUES ($p, $n, $c)");
        foreach (var (name, at) in releaseFirstSeen.OrderBy(r => r.Value)) Run(releases, projectId, name, at);
    }

    /// <summary>A prepared command whose parameters are $-names in the order they appear in <paramref name="sql"/>.</summary>
    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (System.Text.RegularExpressions.Match name in System.Text.RegularExpressions.Regex.Matches(sql, @"\$\w+"))
            command.Parameters.Add(new SqliteParameter(name.Value, null));
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var p = 0; p < values.Length; p++) command.Parameters[p].Value = values[p];
        command.ExecuteNonQuery();
    }

    private static string Pick((string Value, double Share)[] choices, Random random)
    {
        var roll = random.NextDouble();
        foreach (var (value, share) in choices)
            if ((roll -= share) < 0) return value;
        return choices[^1].Value;
    }
}
