using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Cli;

/// <summary>The kestrel command line, run as a user runs it.</summary>
public sealed class CommandLineTests
{
    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    [Trait("Engine", "both")]
    public async Task Project_create_list_and_rotate_token(string engine)
    {
        using var data = new TempDirectory();
        var env = await Engines.EnvironmentAsync(engine, new Dictionary<string, string> { ["KESTREL_PUBLIC_URL"] = "https://errors.example.com" });
        var created = await KestrelProcess.RunAsync(data.Path, env, "project", "create", "Web Shop", "--json");
        Assert.Equal(0, created.ExitCode);
        var json = created.Json;
        Assert.Equal("web-shop", json.GetProperty("slug").GetString());
        Assert.Equal("Web Shop", json.GetProperty("name").GetString());
        Assert.Matches("^kst_[A-Za-z0-9_-]{43}$", json.GetProperty("token").GetString());
        var key = json.GetProperty("public_key").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.Equal($"https://{key}@errors.example.com/{json.GetProperty("id").GetInt64()}", json.GetProperty("dsn").GetString());

        var second = await KestrelProcess.RunAsync(data.Path, env, "project", "create", "Web Shop", "--json");
        Assert.Equal("web-shop-2", second.Json.GetProperty("slug").GetString());

        var list = await KestrelProcess.RunAsync(data.Path, env, "project", "list", "--json");
        Assert.Equal(["web-shop", "web-shop-2"], list.Json.EnumerateArray().Select(p => p.GetProperty("slug").GetString()));
        Assert.DoesNotContain("kst_", list.Stdout);

        var human = await KestrelProcess.RunAsync(data.Path, env, "project", "create", "Plain");
        Assert.Contains("token:", human.Stdout);
        Assert.Contains("DSN:", human.Stdout);

        var rotated = await KestrelProcess.RunAsync(data.Path, env, "project", "rotate-token", "web-shop", "--json");
        Assert.Equal(0, rotated.ExitCode);
        Assert.Equal(json.GetProperty("id").GetInt64(), rotated.Json.GetProperty("id").GetInt64());
        Assert.Equal(key, rotated.Json.GetProperty("public_key").GetString());
        Assert.NotEqual(json.GetProperty("token").GetString(), rotated.Json.GetProperty("token").GetString());
        Assert.Matches("^kst_[A-Za-z0-9_-]{43}$", rotated.Json.GetProperty("token").GetString());

        var missing = await KestrelProcess.RunAsync(data.Path, env, "project", "rotate-token", "no-such-project");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("kestrel: No project has the slug 'no-such-project'.", missing.Stderr.Trim());
    }

    // Both engines once `kestrel serve` runs on PostgreSQL (issue 16).
    [Fact]
    public async Task A_token_rotated_through_the_CLI_is_refused_by_the_running_server()
    {
        using var data = new TempDirectory();
        var created = (await KestrelProcess.RunAsync(data.Path, null, "project", "create", "Web Shop", "--json")).Json;
        await using var server = await KestrelServer.StartAsync(dataDirectory: data.Path);
        var oldToken = created.GetProperty("token").GetString()!;
        var project = new TestProject(created.GetProperty("id").GetInt64(), "web-shop", oldToken, created.GetProperty("public_key").GetString()!, server);
        await project.IngestAsync(Events.Message("before rotation"));

        var rotated = await KestrelProcess.RunAsync(data.Path, null, "project", "rotate-token", "web-shop", "--json");
        Assert.Equal(0, rotated.ExitCode);
        var newToken = rotated.Json.GetProperty("token").GetString()!;
        Assert.NotEqual(oldToken, newToken);
        using (var refused = await project.PostEventAsync(Events.Message("old token"))) Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Single(await (project with { Token = newToken }).IssuesAsync());
    }

    [Theory]
    [InlineData(new[] { "project", "rotate-token", "no-such-project" }, "no-such-project")]
    [InlineData(new[] { "project", "create" }, "name")]
    [InlineData(new[] { "project", "delete", "x" }, "project create")]
    [InlineData(new[] { "frobnicate" }, "Unknown command")]
    public async Task Mistakes_get_one_sentence_on_stderr_and_a_nonzero_exit(string[] args, string mentions)
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, null, args);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(mentions, result.Stderr);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("KESTREL_RETENTION_DAYS", "ninety")]
    [InlineData("KESTREL_LISTEN", "localhost")]
    [InlineData("KESTREL_PUBLIC_URL", "not a url")]
    [InlineData("KESTREL_RATE_LIMIT_PER_MINUTE", "-5")]
    [InlineData("KESTREL_METRICS_TOKEN", "short")]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_it(string variable, string value)
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, new Dictionary<string, string> { [variable] = value }, "serve");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(variable, result.Stderr);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("version")]
    [InlineData("project", "list")]
    [InlineData("backup", "snap.tar.gz")]
    [InlineData("verify", "snap.tar.gz")]
    [InlineData("restore", "snap.tar.gz")]
    [InlineData("mcp")]
    public async Task Every_command_refuses_a_bad_setting_with_the_documented_sentence(params string[] args)
    {
        using var data = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["KESTREL_RETENTION_DAYS"] = "ninety",
            ["KESTREL_TOKEN"] = "kst_" + new string('a', 43), // well formed, so mcp gets as far as the settings
        };
        var result = await KestrelProcess.RunAsync(data.Path, environment, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("kestrel: Setting KESTREL_RETENTION_DAYS must be a whole number from 1 to 36500, not 'ninety'.", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task An_unknown_KESTREL_variable_gets_a_warning_naming_the_likely_setting()
    {
        using var data = new TempDirectory();
        var environment = new Dictionary<string, string> { ["KESTREL_RETENTON_DAYS"] = "30", ["KESTREL_TOKEN"] = "not read here", ["KESTREL_ZZZ"] = "1" };
        var result = await KestrelProcess.RunAsync(data.Path, environment, "project", "list");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            ["kestrel: warning: KESTREL_RETENTON_DAYS is not a Kestrel setting and is ignored. Did you mean KESTREL_RETENTION_DAYS?",
             "kestrel: warning: KESTREL_ZZZ is not a Kestrel setting and is ignored."],
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task A_bad_value_in_kestrel_toml_is_named_by_its_key()
    {
        using var data = new TempDirectory();
        File.WriteAllText(Path.Combine(data.Path, "kestrel.toml"), "[retention]\ndays = 0\n");
        var result = await KestrelProcess.RunAsync(data.Path, null, "serve");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("retention.days", result.Stderr);
    }

    [Fact]
    public async Task Version_prints_version_and_commit()
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, null, "version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^kestrel \d+\.\d+\.\d+ \(commit \S+\)", result.Stdout);
    }
}
