using System.Text;
using Kestrel.Ingest;
using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>
/// <c>kestrel mcp</c> with KESTREL_DATABASE_URL: the stdio server reads and writes the PostgreSQL database of the servers
/// (PRODUCT §13), and says which database it cannot use without showing its password.
/// </summary>
[Trait("Engine", "both")] // it picks its engines itself
public sealed class McpStdioOnPostgresTests
{
    [Fact]
    public async Task Kestrel_mcp_reads_and_writes_the_PostgreSQL_database()
    {
        using var db = await EngineDatabase.CreateAsync(Engines.Postgres);
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = db.Options.DatabaseUrl! };
        var created = await KestrelProcess.RunAsync(db.Options.DataDirectory, environment, "project", "create", "Shop", "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var project = created.Json.GetProperty("id").GetInt64();
        var token = created.Json.GetProperty("token").GetString()!;

        const string eventId = "0123456789abcdef0123456789abcdef";
        var issue = db.Scalar("""
            INSERT INTO issues (project_id, fingerprint, grouping_version, title, type, culprit, level, event_count, first_seen, last_seen, users_affected)
            VALUES (@project, 'f', 'v1', 'CartError: total mismatch', 'CartError', 'checkout(app/cart.py)', 'error', 1, @now, @now, 0) RETURNING id
            """, new { project, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        var payload = $$$"""{"event_id":"{{{eventId}}}","level":"error","platform":"python","environment":"production","exception":{"values":[{"type":"CartError","value":"total mismatch","stacktrace":{"frames":[{"function":"checkout","filename":"app/cart.py","lineno":3,"in_app":true}]}}]}}""";
        db.Execute("INSERT INTO events (project_id, issue_id, event_id, received_at, occurred_at, level, payload) VALUES (@project, @issue, @eventId, 1, 1, 'error', @payload)",
            new { project, issue, eventId, payload = StoredPayload.Compress(Encoding.UTF8.GetBytes(payload)).ToArray() });
        db.Execute("INSERT INTO issue_tags (issue_id, key, value, project_id, count, first_seen, last_seen) VALUES (@issue, 'environment', 'production', @project, 1, 1, 1)",
            new { issue, project });

        using var elsewhere = new TempDirectory(); // no kestrel.db there, nor made there
        await using (var client = await McpConnections.StdioAsync(elsewhere.Path, token, more: environment))
        {
            var found = (await client.CallOkAsync("list_errors", new { query = "CART is:unresolved environment:prod*" })).GetProperty("issues");
            Assert.Equal(issue, Assert.Single(found.EnumerateArray()).GetProperty("id").GetInt64());
            Assert.Contains("total mismatch", (await client.CallAsync("get_error", new { issue_id = issue })).Text());
            Assert.Equal("production", (await client.CallOkAsync("get_tag_values", new { issue_id = issue, key = "environment" }))
                .GetProperty("values")[0].GetProperty("value").GetString());
            await client.CallOkAsync("add_note", new { issue_id = issue, text = "seen on PostgreSQL" });
            await client.CallOkAsync("mark_resolved", new { issue_id = issue, commit_sha = "abc1234" });
        }
        Assert.Equal("resolved", db.Scalar<string>("SELECT status FROM issues WHERE id = @issue", new { issue }));
        Assert.Equal(2, db.Scalar("SELECT COUNT(*) FROM issue_activity WHERE issue_id = @issue AND actor = 'mcp'", new { issue }));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));
    }

    [Fact]
    public async Task A_sqlite_file_or_a_token_of_no_project_is_refused_naming_the_database_without_its_password()
    {
        using var db = await EngineDatabase.CreateAsync(Engines.Postgres);
        var url = new UriBuilder(db.Options.DatabaseUrl!) { Password = "hunter2" }.Uri.ToString(); // trust auth ignores it
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url, ["KESTREL_TOKEN"] = "kst_" + new string('C', 43) };

        var withFile = await KestrelProcess.RunAsync(db.Options.DataDirectory, environment, "mcp", "--db", "kestrel.db");
        Assert.Equal(2, withFile.ExitCode);
        Assert.Equal("kestrel: --db names a SQLite file, but KESTREL_DATABASE_URL is set: kestrel mcp reads that PostgreSQL database; drop --db or unset KESTREL_DATABASE_URL.",
            withFile.Stderr.Trim());

        var unknown = await KestrelProcess.RunAsync(db.Options.DataDirectory, environment, "mcp");
        Assert.Equal(2, unknown.ExitCode);
        var database = new Uri(url).AbsolutePath.TrimStart('/');
        Assert.Equal($"kestrel: KESTREL_TOKEN is not the token of any project in PostgreSQL database {database} on 127.0.0.1:{new Uri(url).Port}.", unknown.Stderr.Trim());
        Assert.DoesNotContain("hunter2", unknown.Stderr + withFile.Stderr);
        Assert.Equal("", unknown.Stdout + withFile.Stdout);
    }
}
