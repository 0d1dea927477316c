using System.Net;
using System.Text.RegularExpressions;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Cli;

/// <summary><c>kestrel admin reset-password</c> against a real server's data (a data directory, or its PostgreSQL database).</summary>
public sealed partial class AdminCommandTests
{
    [Fact]
    public async Task Reset_password_prints_a_new_one_signs_every_session_out_and_the_running_server_takes_only_it_at_once()
    {
        using var data = new TempDirectory();
        string oldPassword;
        string newPassword;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            await server.WaitForLogAsync("Admin password generated: ");
            oldPassword = GeneratedPassword().Match(server.Log).Groups[1].Value;
            using var admin = await AdminHttp.SignInAsync(server, oldPassword);
            Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/projects")).StatusCode);

            var reset = await KestrelProcess.RunAsync(data.Path, null, "admin", "reset-password", "--json");
            Assert.True(reset.ExitCode == 0, reset.Stderr);
            newPassword = reset.Json.GetProperty("admin_password").GetString()!;
            Assert.Matches("^[A-Za-z0-9_-]{24}$", newPassword);
            Assert.NotEqual(oldPassword, newPassword);

            // The session's row is gone: the running server refuses its cookie at once.
            using var after = await admin.Client.GetAsync("/projects");
            Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
            Assert.StartsWith("/login", after.Headers.Location!.OriginalString);
            // The running server reads the password at each sign-in: no restart is needed for it.
            Assert.Equal(HttpStatusCode.Unauthorized, await AdminHttp.SignInStatusAsync(server, oldPassword));
            using var signedIn = await AdminHttp.SignInAsync(server, newPassword);
            Assert.Equal(HttpStatusCode.OK, (await signedIn.Client.GetAsync("/projects")).StatusCode);
        }

        await using var restarted = await KestrelServer.StartAsync(dataDirectory: data.Path);
        Assert.DoesNotContain(newPassword, restarted.Log); // read, not generated: never shown again
        using (var again = await AdminHttp.SignInAsync(restarted, newPassword))
            Assert.Equal(HttpStatusCode.OK, (await again.Client.GetAsync("/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await AdminHttp.SignInStatusAsync(restarted, oldPassword));
    }

    [Fact]
    public async Task Reset_password_prints_the_password_and_what_it_did_without_json()
    {
        using var data = new TempDirectory();
        var reset = await KestrelProcess.RunAsync(data.Path, null, "admin", "reset-password");
        Assert.True(reset.ExitCode == 0, reset.Stderr);
        Assert.Matches(@"^New admin password: [A-Za-z0-9_-]{24}\n", reset.Stdout);
        Assert.Contains("every admin session has been signed out. Running servers take it at once.", reset.Stdout);
    }

    [Fact]
    public async Task With_KESTREL_ADMIN_PASSWORD_set_there_is_nothing_to_reset_and_nothing_changes()
    {
        using var data = new TempDirectory();
        var environment = new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = "from-the-environment-1234" };
        var reset = await KestrelProcess.RunAsync(data.Path, environment, "admin", "reset-password");
        Assert.Equal(2, reset.ExitCode);
        Assert.Equal("kestrel: The admin password comes from KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml): change it there and restart the server.\n",
            reset.Stderr);
        Assert.Empty(reset.Stdout);
        Assert.False(File.Exists(Path.Combine(data.Path, ".admin_password")));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("admin", "reset")]
    [InlineData("admin", "reset-password", "now")]
    public async Task Anything_else_after_admin_gets_the_usage_sentence(params string[] args)
    {
        using var data = new TempDirectory();
        var result = await KestrelProcess.RunAsync(data.Path, null, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("kestrel: Use 'kestrel admin reset-password'.\n", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }

    [GeneratedRegex("Admin password generated: (\\S+)")]
    private static partial Regex GeneratedPassword();
}
