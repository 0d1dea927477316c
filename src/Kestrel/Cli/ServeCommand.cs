using Kestrel.Alerts;
using Kestrel.Health;
using Kestrel.Ingest;
using Kestrel.Issues;
using Kestrel.Mcp;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Retention;
using Kestrel.SourceMaps;
using Kestrel.Tags;
using Kestrel.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using System.Runtime.InteropServices;

namespace Kestrel.Cli;

/// <summary><c>kestrel serve</c>: the HTTP server. This file is the table of contents of the running app.</summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(ParsedCommand command)
    {
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        WebApplication app;
        try { app = Build(options); }
        catch (ConfigurationException e) { return CommandLine.Fail(e.Message); }
        catch (System.Data.Common.DbException e) { return CommandLine.Fail($"{Database.Describe(options)} cannot be used: {e.Message}"); }

        // Only noted: the host's own handlers still turn these signals into a graceful stop.
        var signal = "a stop request";
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => signal = "SIGTERM");
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => signal = "SIGINT");

        try { await app.StartAsync(); }
        catch (IOException e) { return CommandLine.Fail($"Cannot listen on {options.Listen}: {e.Message}"); }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        app.Logger.LogInformation("Kestrel {Version} listening on {Address} with data in {Data}",
            AppInfo.Version, string.Join(", ", addresses), options.DatabaseUrl is null ? Path.GetFullPath(options.DataDirectory) : Database.Describe(options));
        await app.WaitForShutdownAsync();
        LogStop(app, signal);
        await app.DisposeAsync(); // flushes the console logger, which writes from a queue of its own
        return 0;
    }

    /// <summary>
    /// One line when the server has stopped: what the writer committed and refused, and (SQLite) the write-ahead log
    /// copied into kestrel.db, so that the database file alone is complete (a copy of it or a backup needs no -wal file).
    /// </summary>
    private static void LogStop(WebApplication app, string signal)
    {
        var writer = app.Services.GetRequiredService<DatabaseWriter>();
        var database = app.Services.GetRequiredService<Database>();
        var log = database.Engine == DatabaseEngine.Sqlite ? CopyLogIntoDatabase(database) : "every write in PostgreSQL";
        app.Logger.LogInformation("Kestrel stopped on {Signal}: {Committed} writes committed since start, {Refused} refused while stopping, {Log}",
            signal, Interlocked.Read(ref writer.CommittedJobs), writer.RefusedAtStop, log);
    }

    private static string CopyLogIntoDatabase(Database database)
    {
        try
        {
            using var connection = database.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using var result = checkpoint.ExecuteReader();
            return result.Read() && result.GetInt64(0) == 0
                ? $"its write-ahead log ({result.GetInt64(2)} pages) copied into kestrel.db"
                : "its write-ahead log left in place (the database was busy)";
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) { return $"its write-ahead log left in place ({e.Message})"; }
    }

    public static WebApplication Build(KestrelOptions options)
    {
        // Settings come from kestrel.toml and KESTREL_* only. By default ASP.NET would also read
        // appsettings.json from the working directory and watch that directory recursively for
        // changes, which includes a data directory inside it: every database write woke the watcher.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders().AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // While this category is enabled at any level, ASP.NET starts an Activity for every request (its ids, an
        // async-local) although nothing here reads it; it logs requests at Information, which the line above hides
        // anyway. Its other messages are startup failures, which reach the caller as exceptions (and are said there).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Sockets read at most 64 KiB ahead of the app per connection (default 1 MiB): a body is copied
        // into its own buffer as it arrives anyway, and 32 uploads of arrays otherwise left 20 MB of
        // pinned 4 KiB blocks in Kestrel's pool, which the GC can neither move nor give back.
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = 64 * 1024);
        var (address, port, _) = SettingsLoader.ParseListen(options.Listen, "KESTREL_LISTEN");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = IngestLimits.MaxBodyBytes;
        });

        var database = options.DatabaseUrl is null ? OpenSqlite(options, builder.Services) : OpenPostgres(options, builder.Services);
        builder.Services
            .AddSingleton(options)
            .AddSingleton(database)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<DatabaseWriter>()
            .AddHostedService(s => s.GetRequiredService<DatabaseWriter>())
            .AddSingleton<MemoryTrimmer>()
            .AddHostedService(s => s.GetRequiredService<MemoryTrimmer>())
            .AddSingleton(s => Secrets.Load(options, database, new DataDirectory(options), s.GetRequiredService<ILogger<Secrets>>()))
            .AddSingleton<ProjectStore>()
            .AddSingleton<DiskGuard>()
            .AddIngest()
            .AddRetention()
            .AddIssues()
            .AddTags()
            .AddMcpHttp()
            .AddWebUi()
            .AddSourceMaps()
            .AddAlerts();

        var app = builder.Build();
        app.Services.GetRequiredService<Secrets>(); // generate and log the admin password at start, not on first use

        app.UseTrustedProxies(options);
        app.UseJsonErrors();
        app.MapHealth();
        app.MapMetrics();
        app.MapIngest();
        app.MapSentryIngest();
        app.MapIssues();
        app.MapMcpHttp();
        app.MapWebUi();
        app.MapSourceMaps();
        app.MapAlerts();
        return app;
    }

    /// <summary>PostgreSQL's own part of the server: hearing of project changes made on other nodes.</summary>
    private static Database OpenPostgres(KestrelOptions options, IServiceCollection services)
    {
        services.AddHostedService<ProjectChangeListener>();
        return Database.OpenAndMigrate(options);
    }

    /// <summary>
    /// SQLite's own parts of the server: the data directory's lock (one server per kestrel.db; restore refuses while it is
    /// held) and the WAL checkpointer. On PostgreSQL neither exists: every node shares the database, and the data
    /// directory holds nothing another node needs.
    /// </summary>
    private static Database OpenSqlite(KestrelOptions options, IServiceCollection services)
    {
        var dataLock = DataDirectoryLock.AcquireForServer(options);
        var database = Database.OpenAndMigrate(options, dataLock);
        services.AddSingleton(dataLock)
            .AddSingleton<WalCheckpointer>()
            .AddHostedService(s => s.GetRequiredService<WalCheckpointer>());
        return database;
    }
}
