using Kestrel.Platform;
using Kestrel.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Kestrel.Tests.Platform;

/// <summary>
/// The admin password and session key: made once, then read by every later start. On PostgreSQL "every later start"
/// includes other nodes with data directories of their own: the secrets live in the database, not in files.
/// </summary>
[Trait("Engine", "both")] // picks its engines itself
public sealed class SecretsTests
{
    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Secrets_are_made_once_and_read_by_every_later_start(string engine)
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var url = (await Engines.EnvironmentAsync(engine)).GetValueOrDefault("KESTREL_DATABASE_URL");
        // On SQLite a later start is the same data directory; on PostgreSQL it may be another node, with a directory of its own.
        var firstOptions = new KestrelOptions { DataDirectory = first.Path, DatabaseUrl = url };
        var laterOptions = new KestrelOptions { DataDirectory = url is null ? first.Path : second.Path, DatabaseUrl = url };

        var made = Load(firstOptions, out var madeLog);
        var read = Load(laterOptions, out var readLog);

        Assert.Equal(made.ReadAdminPassword(), read.ReadAdminPassword());
        Assert.Equal(made.SessionKey, read.SessionKey);
        Assert.Matches("^[A-Za-z0-9_-]{24}$", made.ReadAdminPassword());
        Assert.Contains($"Admin password generated: {made.ReadAdminPassword()}", madeLog);
        Assert.DoesNotContain(made.ReadAdminPassword(), readLog);
        Assert.Contains("Admin password: read from", readLog);
        Assert.Equal(url is null, File.Exists(Path.Combine(first.Path, ".admin_password")));
    }

    [Fact]
    public async Task Nodes_starting_together_on_PostgreSQL_share_one_password_and_only_one_shows_it()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        Database.OpenAndMigrate(new KestrelOptions { DatabaseUrl = url });
        var directories = Enumerable.Range(0, 5).Select(_ => new TempDirectory()).ToList();
        try
        {
            using var start = new Barrier(directories.Count);
            var loads = await Task.WhenAll(directories.Select(d => Task.Run(() =>
            {
                var options = new KestrelOptions { DataDirectory = d.Path, DatabaseUrl = url };
                var database = new Database(options);
                start.SignalAndWait();
                var secrets = Load(options, out var log, database);
                return (secrets, log);
            })));
            Assert.Single(loads.Select(l => l.secrets.ReadAdminPassword()).Distinct());
            Assert.Single(loads.Select(l => Convert.ToBase64String(l.secrets.SessionKey)).Distinct());
            Assert.Single(loads, l => l.log.Contains("Admin password generated", StringComparison.Ordinal));
            Assert.All(directories, d => Assert.Empty(Directory.GetFileSystemEntries(d.Path)));
        }
        finally { directories.ForEach(d => d.Dispose()); }
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task KESTREL_ADMIN_PASSWORD_wins_and_is_stored_nowhere(string engine)
    {
        using var data = new TempDirectory();
        var url = (await Engines.EnvironmentAsync(engine)).GetValueOrDefault("KESTREL_DATABASE_URL");
        var options = new KestrelOptions { DataDirectory = data.Path, DatabaseUrl = url, AdminPassword = "correct horse battery staple" };
        var secrets = Load(options, out var log);
        Assert.Equal("correct horse battery staple", secrets.ReadAdminPassword());
        Assert.Contains("taken from KESTREL_ADMIN_PASSWORD", log);
        Assert.False(File.Exists(Path.Combine(data.Path, ".admin_password")));
        Assert.Equal(secrets.SessionKey, Load(options, out _).SessionKey);
    }

    private static Secrets Load(KestrelOptions options, out string log, Database? database = null)
    {
        var logger = new CollectingLogger();
        var data = new DataDirectory(options);
        if (options.DatabaseUrl is null) data.EnsureExists();
        var secrets = Secrets.Load(options, database ?? Database.OpenAndMigrate(options), data, logger);
        log = logger.Text;
        return secrets;
    }

    /// <summary>Keeps what was logged, formatted as the console shows it.</summary>
    private sealed class CollectingLogger : ILogger
    {
        private readonly System.Text.StringBuilder lines = new();
        public string Text { get { lock (lines) return lines.ToString(); } }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines) lines.AppendLine(formatter(state, exception));
        }
    }
}
