using Kestrel.Tests.SourceMaps;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Docs;

/// <summary>
/// Runs commands copied from the docs in bash, in <paramref name="workingDirectory"/>, with a PATH holding only
/// what they call: the published kestrel, sentry-cli, curl and a few shell tools, and no dotnet.
/// </summary>
public sealed class DocShell(string workingDirectory, string kestrel, Uri? server)
{
    private readonly string bin = MakeBin(workingDirectory, kestrel);

    public string? Token { get; set; }

    /// <summary>On a PostgreSQL test run, the database of the server the commands talk to (<see cref="Engines.DatabaseUrlFor"/>).</summary>
    public string? DatabaseUrl { get; init; }
    /// <summary>What /var/lib/kestrel in a command stands for.</summary>
    public string DataDirectory { get; init; } = Path.Combine(workingDirectory, "var-lib-kestrel");

    /// <summary>Runs the command; it must exit <paramref name="expectExit"/>, and print what the docs show under it.</summary>
    public async Task<NodeTools.ToolResult> RunAsync(DocCommand command, int expectExit = 0)
    {
        var text = command.Text
            .Replace("dotnet run --project src/Kestrel --", "kestrel", StringComparison.Ordinal)
            .Replace("/opt/kestrel/kestrel", "kestrel", StringComparison.Ordinal)
            .Replace("/var/lib/kestrel", DataDirectory, StringComparison.Ordinal);
        if (server is not null) text = text.Replace("http://localhost:8080", server.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
        var environment = new Dictionary<string, string> { ["PATH"] = bin };
        if (Token is not null) environment["KESTREL_TOKEN"] = Token;
        if (DatabaseUrl is not null) environment["KESTREL_DATABASE_URL"] = DatabaseUrl;
        var result = await NodeTools.RunAsync(Path.Combine(bin, "bash"), workingDirectory, environment, "-c", "set -eo pipefail\n" + text);
        Assert.True(result.ExitCode == expectExit, $"`{text}` exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        if (command.Output is { } shown)
            Assert.True(ShellBlocks.Matches(shown, result.Stdout), $"`{text}` printed\n{result.Stdout}\nbut the docs show\n{shown}");
        return result;
    }

    private static string MakeBin(string directory, string kestrel)
    {
        var bin = Path.Combine(directory, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "kestrel"), kestrel);
        File.CreateSymbolicLink(Path.Combine(bin, "sentry-cli"), NodeTools.SentryCli3);
        foreach (var tool in (string[])["bash", "cat", "mkdir", "curl", "env"])
        {
            var path = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(bin, tool), path);
        }
        return bin;
    }
}
