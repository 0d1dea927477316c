using System.Collections;
using Kestrel.Platform;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Platform;

public sealed class SettingsLoaderTests
{
    private static KestrelOptions Load(string? toml, Dictionary<string, string>? env = null)
    {
        using var data = new TempDirectory();
        var environment = new Hashtable { ["KESTREL_DATA"] = data.Path };
        foreach (var (k, v) in env ?? []) environment[k] = v;
        if (toml is not null) File.WriteAllText(Path.Combine(data.Path, "kestrel.toml"), toml);
        return SettingsLoader.Load(null, environment);
    }

    [Fact]
    public void Every_setting_and_the_mcp_token_are_known_variables()
    {
        var environment = new Hashtable { ["KESTREL_TOKEN"] = "x", ["KESTREL_LISTN"] = "x", ["PATH"] = "/bin" };
        foreach (var (_, variable) in SettingsLoader.Names) environment[variable] = "x";
        Assert.Equal([("KESTREL_LISTN", (string?)"KESTREL_LISTEN")], SettingsLoader.UnknownVariables(environment));
    }

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var options = Load(null);
        Assert.Equal("0.0.0.0:8080", options.Listen);
        Assert.Equal("http://localhost:8080", options.PublicUrl);
        Assert.Equal(90, options.RetentionDays);
        Assert.Equal(60_000, options.RateLimitPerMinute);
        Assert.Null(options.MetricsToken);
        Assert.Null(options.AdminPassword);
    }

    [Fact]
    public void The_file_overrides_defaults_and_the_environment_overrides_the_file()
    {
        var options = Load("listen = \"127.0.0.1:9000\"\n[metrics]\ntoken = \"file-token-0123456789\"\n[retention]\ndays = 30\n[rate_limit]\nper_minute = 0\n",
            new() { ["KESTREL_RETENTION_DAYS"] = "7" });
        Assert.Equal("127.0.0.1:9000", options.Listen);
        Assert.Equal("file-token-0123456789", options.MetricsToken);
        Assert.Equal(7, options.RetentionDays);
        Assert.Equal(0, options.RateLimitPerMinute);
    }

    [Fact]
    public void The_database_url_comes_from_the_file_or_the_environment_and_defaults_to_SQLite()
    {
        Assert.Null(Load(null).DatabaseUrl);
        Assert.Equal("postgres://k@db/kestrel", Load("[database]\nurl = \"postgres://k@db/kestrel\"\n").DatabaseUrl);
        Assert.Equal("postgresql://k@db2/kestrel", Load("[database]\nurl = \"postgres://k@db/kestrel\"\n", new() { ["KESTREL_DATABASE_URL"] = "postgresql://k@db2/kestrel" }).DatabaseUrl);
        Assert.Contains("database.url", Assert.Throws<ConfigurationException>(() => Load("[database]\nurl = \"sqlite://x\"\n")).Message);
    }

    [Theory]
    [InlineData("unknown = 1", "'unknown'")]
    [InlineData("listen = = 1", "not valid TOML")]
    [InlineData("[retention]\ndays = \"many\"", "retention.days")]
    [InlineData("public_url = \"ftp://x\"", "public_url")]
    [InlineData("listen = [1, 2]", "'listen'")]
    public void Bad_file_values_name_the_setting(string toml, string named)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(toml));
        Assert.Contains(named, error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("*:80", true)]
    [InlineData("localhost:0", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("example.com:80", false)]
    [InlineData("127.0.0.1:70000", false)]
    public void Listen_addresses_are_checked(string value, bool valid)
    {
        if (valid) Assert.Equal(value, Load(null, new() { ["KESTREL_LISTEN"] = value }).Listen);
        else Assert.Contains("KESTREL_LISTEN", Assert.Throws<ConfigurationException>(() => Load(null, new() { ["KESTREL_LISTEN"] = value })).Message);
    }

    [Fact]
    public void A_missing_config_file_named_on_the_command_line_is_an_error() =>
        Assert.Contains("does not exist", Assert.Throws<ConfigurationException>(() => SettingsLoader.Load("/nonexistent/kestrel.toml", new Hashtable())).Message);
}
