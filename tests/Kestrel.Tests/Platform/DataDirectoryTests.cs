using Kestrel.Tests.Support;

namespace Kestrel.Tests.Platform;

// SQLite by nature: the data directory's own files (kestrel.db in WAL mode, the password file). On PostgreSQL the
// password and session key are rows of the database: SecretsTests and AdminCommandTests.
[Trait("Engine", "sqlite")]
public sealed class DataDirectoryTests
{
    private static string PasswordFile(string data) => Path.Combine(data, ".admin_password");

    [Fact]
    public async Task The_admin_password_is_generated_0600_printed_once_and_kept()
    {
        using var data = new TempDirectory();
        string password;
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            password = File.ReadAllText(PasswordFile(data.Path)).Trim();
            Assert.True(password.Length >= 20);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PasswordFile(data.Path)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data.Path, ".session_secret")));
            Assert.Contains(password, server.Log);
        }
        await using (var again = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            Assert.Equal(password, File.ReadAllText(PasswordFile(data.Path)).Trim());
            Assert.DoesNotContain(password, again.Log);
        }
    }

    [Fact]
    public async Task A_new_data_directory_is_private_and_an_existing_one_keeps_its_mode()
    {
        using var parent = new TempDirectory();
        var created = Path.Combine(parent.Path, "new", "data");
        await using (await KestrelServer.StartAsync(dataDirectory: created)) { }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(created));
        foreach (var file in (string[])["kestrel.db", "kestrel.db-wal", "kestrel.db-shm"])
        {
            if (File.Exists(Path.Combine(created, file)))
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(created, file)));
        }
        Assert.True(File.Exists(Path.Combine(created, "kestrel.db")));

        var existing = Directory.CreateDirectory(Path.Combine(parent.Path, "volume")).FullName;
        File.SetUnixFileMode(existing, (UnixFileMode)0b111_101_101);
        await using (await KestrelServer.StartAsync(dataDirectory: existing)) { }
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(existing));
    }

    [Fact]
    public async Task KESTREL_ADMIN_PASSWORD_wins_over_an_existing_password_file()
    {
        using var data = new TempDirectory();
        await using (await KestrelServer.StartAsync(dataDirectory: data.Path)) { }
        var generated = File.ReadAllText(PasswordFile(data.Path)).Trim();
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = "correct-horse-battery" }, data.Path);
        Assert.Contains("KESTREL_ADMIN_PASSWORD", server.Log);
        Assert.DoesNotContain(generated, server.Log);
        Assert.Equal(generated, File.ReadAllText(PasswordFile(data.Path)).Trim()); // left alone, for when the variable goes

        var options = new Kestrel.Platform.KestrelOptions { DataDirectory = data.Path, AdminPassword = "correct-horse-battery" };
        var secrets = Kestrel.Platform.Secrets.Load(options, new Kestrel.Platform.Database(options), new Kestrel.Platform.DataDirectory(options),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal("correct-horse-battery", secrets.ReadAdminPassword());
    }

    [Fact]
    public async Task A_deleted_password_file_gives_a_new_password()
    {
        using var data = new TempDirectory();
        await using (await KestrelServer.StartAsync(dataDirectory: data.Path)) { }
        var first = File.ReadAllText(PasswordFile(data.Path));
        File.Delete(PasswordFile(data.Path));
        await using var server = await KestrelServer.StartAsync(dataDirectory: data.Path);
        var second = File.ReadAllText(PasswordFile(data.Path));
        Assert.NotEqual(first, second);
        Assert.Contains(second.Trim(), server.Log);
    }

    [Fact]
    public async Task KESTREL_ADMIN_PASSWORD_wins_and_no_file_is_written()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_ADMIN_PASSWORD"] = "correct-horse-battery" });
        Assert.False(File.Exists(PasswordFile(server.DataDirectory)));
        Assert.Contains("KESTREL_ADMIN_PASSWORD", server.Log);
        Assert.DoesNotContain("correct-horse-battery", server.Log);
    }

    [Fact]
    public async Task The_database_is_in_wal_mode_with_the_documented_tables()
    {
        await using var server = await KestrelServer.StartAsync();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "kestrel.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)";
        var tables = ((string)command.ExecuteScalar()!).Split(',');
        Assert.Contains("events", tables);
        Assert.Contains("issues", tables);
        Assert.Contains("projects", tables);
    }

    private static async Task<string> Sqlite3Async(string database, string sql) =>
        (await Tool.RunOkAsync("sqlite3", database, sql)).Stdout.Trim();

    [Fact]
    public async Task A_new_database_has_8_KB_pages_and_one_made_with_4_KB_pages_keeps_them_and_works()
    {
        using var data = new TempDirectory();
        var database = Path.Combine(data.Path, "kestrel.db");
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            var project = await server.CreateProjectAsync();
            await project.IngestAsync(Events.Exception("ValueError", "first"));
        }
        // The real sqlite3 tool reads what a new server made: 8 KB pages, WAL, incremental vacuum.
        Assert.Equal("8192|wal|2", await Sqlite3Async(database, "SELECT (SELECT page_size FROM pragma_page_size), "
            + "(SELECT journal_mode FROM pragma_journal_mode), (SELECT auto_vacuum FROM pragma_auto_vacuum);"));

        // A database an earlier version made has 4 KB pages; rebuilt so here, it keeps them and takes events as before.
        await Sqlite3Async(database, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL;");
        Assert.Equal("4096", await Sqlite3Async(database, "PRAGMA page_size;"));
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            var project = await server.CreateProjectAsync("second");
            await project.IngestAsync(Events.Exception("KeyError", "second"));
            Assert.Single(await project.IssuesAsync());
        }
        Assert.Equal("4096|ok|2", await Sqlite3Async(database, "SELECT (SELECT page_size FROM pragma_page_size), "
            + "(SELECT integrity_check FROM pragma_integrity_check), (SELECT COUNT(*) FROM events);"));
    }
}
