using System.Diagnostics;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>
/// The official TypeScript SDK client (the one Claude Code and many other agents build on) against both
/// transports. It checks every result's structured content against the tool's output schema and refuses
/// any that does not match, which the C# client does not do.
/// </summary>
public sealed class McpTypeScriptClientTests
{
    private static string ClientDirectory
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "clients", "mcp-typescript");
                if (File.Exists(Path.Combine(candidate, "check.mjs"))) return candidate;
            }
            throw new DirectoryNotFoundException("tests/clients/mcp-typescript not found above " + AppContext.BaseDirectory);
        }
    }

    private static Task<JsonElement> RunAsync(params string[] arguments) => RunScriptAsync("check.mjs", arguments);

    /// <summary>Runs one of the client's scripts; returns the JSON report it prints.</summary>
    internal static async Task<JsonElement> RunScriptAsync(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        // stdio KESTREL_DLL DATA_DIRECTORY ...: on a PostgreSQL test run, `kestrel mcp` (which inherits this environment) needs that server's database.
        if (arguments is ["stdio", _, var dataDirectory, ..] && Engines.DatabaseUrlFor(dataDirectory) is { } url) info.Environment["KESTREL_DATABASE_URL"] = url;
        Assert.True(Directory.Exists(Path.Combine(ClientDirectory, "node_modules")), "run scripts/install-test-deps.sh first");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {script} {arguments[0]} failed:\n{await stderr}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("http")]
    public async Task Every_result_matches_its_output_schema_for_the_typescript_client(string transport)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(McpEvents.Checkout());
        await project.IngestAsync(Events.Message("a message without a stack or culprit"));
        await project.IngestAsync(Events.Exception("PlainError", "no context lines"));
        // A regression after a resolution in an older release: get_error then carries previousResolution and activity.
        var checkout = (await project.IssuesAsync()).Single(i => i.GetProperty("type").GetString() == "CheckoutError").GetProperty("id").GetInt64();
        await project.PatchAsync(checkout, new { status = "resolved", commit_sha = "1234567", in_release = "shop@1.2.0" });
        await project.IngestAsync(McpEvents.Checkout(value: "'price' again"));
        Assert.True((await project.GetJsonAsync($"/api/issues/{checkout}")).TryGetProperty("previousResolution", out _));

        var report = transport == "http"
            ? await RunAsync("http", new Uri(server.Address, "/mcp").ToString(), project.Token)
            : await RunAsync("stdio", KestrelProcess.Dll, server.DataDirectory, project.Token);

        Assert.Equal("kestrel", report.GetProperty("server").GetString());
        Assert.Equal(["add_note", "get_error", "get_tag_values", "get_trend", "list_errors", "mark_ignored", "mark_resolved"], report.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var calls = report.GetProperty("calls").EnumerateArray().ToArray();
        Assert.Equal(1 + 3 * 2 + 8, calls.Length);
        Assert.Contains(calls, c => c.GetProperty("name").GetString() == "get_error" && c.GetProperty("text").GetString()!.Contains("previous resolution that did not hold"));
        Assert.Contains(calls, c => c.GetProperty("text").GetString()!.Contains("note by mcp: noted by the TypeScript client"));
        Assert.All(calls[..^2], c => Assert.False(c.GetProperty("isError").GetBoolean(), c.GetProperty("text").GetString()));
        Assert.Contains(calls, c => c.GetProperty("name").GetString() == "get_error" && c.GetProperty("text").GetString()!.Contains("    >    42 |     total = price * qty"));
        Assert.Contains(calls, c => c.GetProperty("text").GetString()!.Contains("by commit abcdef0"));
        Assert.StartsWith("issue_id 987654 is not an issue of this project.", calls[^2].GetProperty("text").GetString());
        Assert.Equal("limit must be a whole number from 1 to 200.", calls[^1].GetProperty("text").GetString());
    }
}
