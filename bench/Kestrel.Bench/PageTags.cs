using Microsoft.Data.Sqlite;

namespace Kestrel.Bench;

/// <summary>
/// The tags of <see cref="PageData"/>'s events, summed per issue as the writer keeps them (issue_tags,
/// users_affected, first and last release), so the search terms of PRODUCT §15 have realistic data:
/// nine tags per event, releases advancing with time (the newest, shop@2.19.0, only in the last 1.4 days),
/// a browser and OS mix, and users drawn from 50,000.
/// </summary>
public static class PageTags
{
    private static readonly string[] Keys = ["level", "environment", "release", "browser", "browser.name", "os", "url", "server_name", "user"];
    private static readonly (string Value, double Share)[] Environments = [("production", 0.85), ("staging", 0.12), ("development", 0.03)];
    private static readonly (string Value, double Share)[] Browsers =
        [("Chrome 130", 0.5), ("Chrome 129", 0.15), ("Firefox 132", 0.12), ("Safari 18", 0.1), ("Edge 130", 0.08), ("Mobile Safari 17", 0.05)];
    private static readonly (string Value, double Share)[] Systems = [("Windows 10", 0.4), ("Mac OS X 10.15.7", 0.25), ("Android 14", 0.15), ("iOS 17.6", 0.1), ("Linux", 0.1)];
    public const int Releases = 10;

    public static void Fill(SqliteConnection connection, SqliteTransaction transaction, long projectId, long[] issueIds, int[] owners, long start, double step, Random random)
    {
        // (issue, key, value) → count, first and last event time; values are numbered per key in `names`.
        var sums = new Dictionary<(int Issue, int Key, int Value), (long Count, long First, long Last)>();
        var names = Keys.Select(_ => new List<string>()).ToArray();
        var numbers = Keys.Select(_ => new Dictionary<string, int>()).ToArray();
        int Number(int key, string value)
        {
            if (numbers[key].TryGetValue(value, out var n)) return n;
            numbers[key][value] = n = names[key].Count;
            names[key].Add(value);
            return n;
        }
        var firstRelease = new int[issueIds.Length];
        var lastRelease = new int[issueIds.Length];
        Array.Fill(firstRelease, -1);
        for (var k = 0; k < owners.Length; k++)
        {
            var issue = owners[k];
            var at = start + (long)(k * step);
            var release = 10 + k * Releases / owners.Length;
            if (firstRelease[issue] < 0) firstRelease[issue] = release;
            lastRelease[issue] = release;
            var browser = Pick(Browsers, random);
            string[] values = [issue % 7 == 0 ? "warning" : "error", Pick(Environments, random), $"shop@2.{release}.0", browser, browser[..browser.LastIndexOf(' ')],
                Pick(Systems, random), $"https://shop.example/{(issue + random.Next(3)) % 40}", $"web-{random.Next(1, 13)}", $"id:{random.Next(50_000)}"];
            for (var key = 0; key < Keys.Length; key++)
            {
                var sum = (issue, key, Number(key, values[key]));
                sums[sum] = sums.TryGetValue(sum, out var s) ? (s.Count + 1, s.First, at) : (1, at, at);
            }
        }

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES ($i, $k, $v, $p, $c, $f, $l)";
        foreach (var name in (string[])["$i", "$k", "$v", "$p", "$c", "$f", "$l"]) insert.Parameters.Add(new SqliteParameter(name, null));
        var users = new long[issueIds.Length];
        foreach (var ((issue, key, value), (count, first, last)) in sums)
        {
            object[] row = [issueIds[issue], Keys[key], names[key][value], projectId, count, first, last];
            for (var p = 0; p < row.Length; p++) insert.Parameters[p].Value = row[p];
            insert.ExecuteNonQuery();
            if (Keys[key] == "user") users[issue]++;
        }
        using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE issues SET users_affected = $u, first_release = $f, last_release = $l WHERE id = $i";
        foreach (var name in (string[])["$u", "$f", "$l", "$i"]) update.Parameters.Add(new SqliteParameter(name, null));
        for (var i = 0; i < issueIds.Length; i++)
        {
            object[] row = [users[i], $"shop@2.{firstRelease[i]}.0", $"shop@2.{lastRelease[i]}.0", issueIds[i]];
            for (var p = 0; p < row.Length; p++) update.Parameters[p].Value = row[p];
            update.ExecuteNonQuery();
        }
    }

    private static string Pick((string Value, double Share)[] choices, Random random)
    {
        var roll = random.NextDouble();
        foreach (var (value, share) in choices)
            if ((roll -= share) < 0) return value;
        return choices[^1].Value;
    }
}
