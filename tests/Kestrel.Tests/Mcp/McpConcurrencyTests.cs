using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Mcp;

/// <summary>
/// <c>kestrel mcp</c> writes kestrel.db from its own process while the server writes it from its writer:
/// both must make progress, lose nothing and see each other's changes.
/// </summary>
public sealed class McpConcurrencyTests
{
    [Fact]
    public async Task Stdio_and_http_work_on_the_same_database_at_the_same_time_while_events_arrive()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 20).Select(i => Events.Exception("SharedError", "x", function: "f" + i))) + "]";
        using (var response = await project.PostEventAsync(batch)) Assert.True(response.IsSuccessStatusCode);
        var ids = (await project.IssuesAsync("?limit=200")).Select(i => i.GetProperty("id").GetInt64()).Order().ToArray();
        Assert.Equal(20, ids.Length);

        await using var stdio = await McpConnections.StdioAsync(server.DataDirectory, project.Token);
        await using var http = await McpConnections.HttpAsync(server, project.Token);

        async Task ResolveOverStdio()
        {
            foreach (var id in ids[..10])
            {
                await stdio.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = "feedbeef", note = "stdio " + id });
                await stdio.CallOkAsync("get_error", new { issue_id = id, event_limit = 1 });
            }
        }
        async Task IgnoreOverHttp()
        {
            foreach (var id in ids[10..])
            {
                await http.CallOkAsync("mark_ignored", new { issue_id = id, reason = "http " + id });
                await http.CallOkAsync("list_errors", new { limit = 5 });
            }
        }
        async Task IngestNewIssues()
        {
            for (var i = 0; i < 20; i++) await project.IngestAsync(Events.Exception("ArrivingError", "y", function: "g" + i));
        }
        await Task.WhenAll(ResolveOverStdio(), IgnoreOverHttp(), IngestNewIssues());

        foreach (var client in new[] { stdio, http })
        {
            var resolved = (await client.CallOkAsync("list_errors", new { status = "resolved", limit = 200 })).GetProperty("issues").EnumerateArray().ToArray();
            var ignored = (await client.CallOkAsync("list_errors", new { status = "ignored", limit = 200 })).GetProperty("issues").EnumerateArray().ToArray();
            var open = (await client.CallOkAsync("list_errors", new { status = "open", limit = 200 })).GetProperty("issues").EnumerateArray().ToArray();
            Assert.Equal(ids[..10], resolved.Select(i => i.GetProperty("id").GetInt64()).Order());
            Assert.Equal(ids[10..], ignored.Select(i => i.GetProperty("id").GetInt64()).Order());
            Assert.Equal(20, open.Length);
            Assert.All(open, i => Assert.Equal("ArrivingError", i.GetProperty("type").GetString()));
        }
        var fromStdio = await http.CallOkAsync("get_error", new { issue_id = ids[3], event_limit = 1 });
        Assert.Equal("stdio " + ids[3], fromStdio.GetProperty("issue").GetProperty("resolution").GetProperty("note").GetString());
        var fromHttp = await stdio.CallOkAsync("get_error", new { issue_id = ids[13], event_limit = 1 });
        Assert.Equal("http " + ids[13], fromHttp.GetProperty("issue").GetProperty("ignoreReason").GetString());
        Assert.Equal(40, (await project.IssuesAsync("?limit=200")).Length);
    }

    // SQLite only by nature: it holds kestrel.db's write lock from another connection past SQLite's busy timeout.
    // PostgreSQL has no database-wide write lock; a row lock there makes the call wait, as the server's writes do.
    [Fact, Trait("Engine", "sqlite")]
    public async Task A_write_lock_held_past_the_busy_timeout_gives_a_tool_error_and_reads_go_on()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("LockedError", "x"));
        var id = (await project.IssuesAsync()).Single().GetProperty("id").GetInt64();
        await using var stdio = await McpConnections.StdioAsync(server.DataDirectory, project.Token);

        // Another process's write transaction (here the test's own connection) holds the lock throughout.
        using (var holder = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "kestrel.db")}"))
        {
            holder.Open();
            using var transaction = holder.BeginTransaction(deferred: false);
            Assert.Equal("The database is busy; retry shortly.", await stdio.CallErrorAsync("mark_resolved", new { issue_id = id, commit_sha = "abcdef0" }));
            Assert.Single((await stdio.CallOkAsync("list_errors")).GetProperty("issues").EnumerateArray()); // WAL: reads are not blocked
        }
        Assert.Equal("resolved", (await stdio.CallOkAsync("mark_resolved", new { issue_id = id, commit_sha = "abcdef0" })).GetProperty("status").GetString());
    }
}
