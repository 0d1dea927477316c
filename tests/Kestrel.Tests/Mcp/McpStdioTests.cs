using System.Diagnostics;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary><c>kestrel mcp</c> as a process: how it refuses to start, what it writes where, and how it ends.</summary>
public sealed class McpStdioTests
{
    // SQLite's by nature: kestrel.db files that are missing or named by --db. McpStdioOnPostgresTests has PostgreSQL's cases.
    [Fact, Trait("Engine", "sqlite")]
    public async Task A_missing_or_wrong_token_or_database_ends_the_process_at_once_with_one_line_on_stderr()
    {
        await using var server = await KestrelServer.StartAsync();
        await server.CreateProjectAsync();
        using var empty = new TempDirectory();

        var cases = new (string Data, Dictionary<string, string> Environment, string[] Arguments, string Error)[]
        {
            (server.DataDirectory, [], [], "KESTREL_TOKEN is not set"),
            (server.DataDirectory, new() { ["KESTREL_TOKEN"] = "  " }, [], "KESTREL_TOKEN is not set"),
            (server.DataDirectory, new() { ["KESTREL_TOKEN"] = "secret" }, [], "KESTREL_TOKEN is not a project secret token"),
            (server.DataDirectory, new() { ["KESTREL_TOKEN"] = "kst_" + new string('C', 43) }, [], "KESTREL_TOKEN is not the token of any project in"),
            (empty.Path, new() { ["KESTREL_TOKEN"] = "kst_" + new string('C', 43) }, [], "There is no database at"),
            (server.DataDirectory, new() { ["KESTREL_TOKEN"] = "kst_" + new string('C', 43) }, ["--db", Path.Combine(empty.Path, "none.db")], "There is no database at"),
            (server.DataDirectory, new() { ["KESTREL_TOKEN"] = "kst_" + new string('C', 43) }, ["--verbose"], "Unknown argument '--verbose'"),
        };
        foreach (var (data, environment, arguments, error) in cases)
        {
            var started = Stopwatch.StartNew();
            var result = await KestrelProcess.RunAsync(data, environment, ["mcp", .. arguments]);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal("", result.Stdout);
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("kestrel: " + error, line);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
        }
        Assert.False(File.Exists(Path.Combine(empty.Path, "kestrel.db")), "no database is made where there was none");
    }

    [Fact]
    public async Task Stdout_carries_only_protocol_messages_and_the_process_ends_when_stdin_closes()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("PipeError", "through a pipe"));
        using var elsewhere = new TempDirectory();

        // KESTREL_DATA points elsewhere; --db names the server's database, or on PostgreSQL its KESTREL_DATABASE_URL does.
        var environment = new Dictionary<string, string> { ["KESTREL_TOKEN"] = project.Token };
        string[] arguments = ["mcp", "--db", Path.Combine(server.DataDirectory, "kestrel.db")];
        if (Engines.DatabaseUrlFor(server.DataDirectory) is { } url) (environment["KESTREL_DATABASE_URL"], arguments) = (url, ["mcp"]);
        var info = KestrelProcess.StartInfo(elsewhere.Path, environment, arguments);
        info.RedirectStandardInput = true;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var message in new[]
        {
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"pipe","version":"1"}}}""",
            """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""",
            """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_errors","arguments":{}}}""",
        })
            await process.StandardInput.WriteLineAsync(message);
        await process.StandardInput.FlushAsync();

        // Answers may come in any order; stdin is closed once all three are there.
        using var timeout = new CancellationTokenSource(McpConnections.Timeout);
        var lines = new List<string>();
        while (lines.Count < 3 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line) lines.Add(line);
        process.StandardInput.Close();
        var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        lines.AddRange(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(0, process.ExitCode);
        var ids = new List<int>();
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line); // anything else on stdout would break a client
            Assert.Equal("2.0", json.RootElement.GetProperty("jsonrpc").GetString());
            ids.Add(json.RootElement.GetProperty("id").GetInt32());
        }
        Assert.Equal([1, 2, 3], ids.Order());
        Assert.Contains("PipeError: through a pipe", string.Join('\n', lines));
        Assert.DoesNotContain("{\"jsonrpc\"", await stderr);
    }

    [Fact]
    public async Task Rotating_the_token_cuts_off_a_running_stdio_server()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("RotateError", "x"));
        await using var client = await McpConnections.StdioAsync(server.DataDirectory, project.Token);
        Assert.Single((await client.CallOkAsync("list_errors")).GetProperty("issues").EnumerateArray());

        var id = (await project.IssuesAsync()).Single().GetProperty("id").GetInt64();
        var rotation = await KestrelProcess.RunAsync(server.DataDirectory, null, "project", "rotate-token", project.Slug, "--json");
        Assert.Equal(0, rotation.ExitCode);
        var newToken = rotation.Json.GetProperty("token").GetString();

        Assert.Contains("not valid", await client.CallErrorAsync("list_errors"));
        Assert.Contains("not valid", await client.CallErrorAsync("mark_ignored", new { issue_id = id }));
        Assert.Equal("open", (await project.GetJsonAsync($"/api/issues/{id}", token: newToken)).GetProperty("status").GetString());
    }
}
