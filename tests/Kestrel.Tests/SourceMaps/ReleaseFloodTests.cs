using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.SourceMaps;

/// <summary>
/// Issue 17 §4: every new <c>release</c> an event named created a release, so 20,000 made-up names sent
/// with the public key made the releases page 6.9 MB and 1.26 s (a query per release, no paging). Events
/// now create at most <c>releases.max_new_per_hour</c> (default 100) per project per hour, and the page shows
/// 50 releases at a time with one query for their files.
/// </summary>
public sealed class ReleaseFloodTests
{
    [Fact]
    public async Task Events_create_at_most_100_releases_an_hour_and_are_stored_all_the_same()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();

        // 1,000 made-up release names with the public key, 100 events a request.
        for (var request = 0; request < 10; request++)
        {
            var batch = "[" + string.Join(',', Enumerable.Range(0, 100).Select(i =>
                JsonSerializer.Serialize(new { message = "flood", release = $"made-up-{request}-{i}" }))) + "]";
            using var response = await project.PostEventAsync(batch, token: project.PublicKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1000, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));
        // A release's write is queued before its event's, so every release that will exist exists now.
        var releases = await project.GetJsonAsync("/api/releases?limit=1000");
        Assert.Equal(100, releases.GetProperty("releases").GetArrayLength());
        Assert.False(releases.TryGetProperty("next", out _)); // the last page
    }

    [Fact]
    public async Task The_releases_page_and_api_show_20000_releases_a_page_at_a_time()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = WebUi.Password });
        var project = await server.CreateProjectAsync("shop");
        await project.UploadOkAsync("newest", ("app.min.js.map", """{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray()));
        // As many releases as the flood once made, written beside the server as an old database would hold them.
        if (Engines.DatabaseUrlFor(server.DataDirectory) is { } url)
        {
            await using var postgres = new Npgsql.NpgsqlConnection(Kestrel.Platform.PostgresUrl.ToConnectionString(url));
            await postgres.OpenAsync();
            await using var flood = new Npgsql.NpgsqlCommand(
                "INSERT INTO releases (project_id, name, created_at) SELECT @project, 'flood-' || i, 1000 + i FROM generate_series(1, 20000) i", postgres);
            flood.Parameters.AddWithValue("project", project.Id);
            await flood.ExecuteNonQueryAsync();
        }
        else
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "kestrel.db")}");
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                INSERT INTO releases (project_id, name, created_at) SELECT $project, 'flood-' || i, 1000 + i FROM n
                """;
            insert.Parameters.AddWithValue("$project", project.Id);
            insert.ExecuteNonQuery();
        }

        using var admin = await AdminHttp.SignInAsync(server);
        var fastest = TimeSpan.MaxValue;
        string html = "";
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var started = Stopwatch.StartNew();
            html = await admin.Client.GetStringAsync("/projects/shop/releases");
            fastest = started.Elapsed < fastest ? started.Elapsed : fastest;
        }
        Assert.True(html.Length < 100_000, $"the page is {html.Length} characters");
        Assert.True(fastest < TimeSpan.FromSeconds(1), $"the page took {fastest.TotalMilliseconds:0} ms at best");
        Assert.Contains("app.min.js.map", html); // the newest release, with its file
        Assert.Contains("flood-20000", html);
        Assert.DoesNotContain("flood-19950", html);

        // The next page follows on.
        var next = System.Text.RegularExpressions.Regex.Match(html, "releases\\?cursor=([A-Za-z0-9_-]+)").Groups[1].Value;
        var second = await admin.Client.GetStringAsync("/projects/shop/releases?cursor=" + next);
        Assert.Contains("flood-19951", second);
        Assert.DoesNotContain("flood-19952", second);

        var api = await project.GetJsonAsync("/api/releases");
        Assert.Equal(100, api.GetProperty("releases").GetArrayLength());
        var after = await project.GetJsonAsync("/api/releases?limit=10&cursor=" + api.GetProperty("next").GetString());
        Assert.Equal("flood-19901", after.GetProperty("releases")[0].GetProperty("name").GetString());
        using var bad = await project.SendAsync(HttpMethod.Get, "/api/releases?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
