using Kestrel.Issues;
using Kestrel.Mcp;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.SourceMaps;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Kestrel.Cli;

/// <summary>
/// <c>kestrel mcp [--db PATH]</c>: the MCP server over stdio for one project, the one whose secret token
/// is in KESTREL_TOKEN. It reads the database directly, with or without a running server: kestrel.db, where WAL lets
/// it read while the server writes, and its writes (mark_resolved, mark_ignored, add_note) take SQLite's write lock for
/// one short transaction each, waiting out the server's writer with the busy timeout; or, with KESTREL_DATABASE_URL,
/// the PostgreSQL database of the servers, where row locks order its writes with theirs. Stdout carries only
/// protocol messages; logs and errors go to stderr.
/// </summary>
public static class McpCommand
{
    public static async Task<int> RunAsync(ParsedCommand command)
    {
        string? databasePath = null;
        for (var i = 0; i < command.Words.Count; i++)
        {
            switch (command.Words[i])
            {
                case "--db" when i + 1 < command.Words.Count: databasePath = command.Words[++i]; break;
                case var w when w.StartsWith("--db=", StringComparison.Ordinal): databasePath = w["--db=".Length..]; break;
                case var w: return CommandLine.Fail($"Unknown argument '{w}'. Usage: kestrel mcp [--db PATH], with the project's token in KESTREL_TOKEN.");
            }
        }
        var token = Environment.GetEnvironmentVariable("KESTREL_TOKEN");
        if (string.IsNullOrWhiteSpace(token)) return CommandLine.Fail("KESTREL_TOKEN is not set; set it to the project's secret token (kst_...).");
        token = token.Trim();
        if (!ProjectTokens.LooksLikeSecretToken(token)) return CommandLine.Fail("KESTREL_TOKEN is not a project secret token (kst_ followed by 43 characters).");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        if (OpenDatabase(options, databasePath) is not { } database) return 2;
        var projects = new ProjectStore(database);
        try
        {
            if (projects.FindBySecretToken(token) is null) return CommandLine.Fail($"KESTREL_TOKEN is not the token of any project in {Name(database, options)}.");
        }
        catch (DbException e) { return CommandLine.Fail($"{Describe(database, options)} cannot be used: {e.Message}"); }

        var gate = new StdioRequestGate(Console.OpenStandardInput(), new BufferedStream(Console.OpenStandardOutput()));
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services
            .AddSingleton(database)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new IssueStore(database, writer: null))
            .AddSingleton(new ActivityStore(database, writer: null))
            .AddSingleton(s => SourceMapResolver.ForReading(database, options, s.GetRequiredService<ILoggerFactory>()))
            .AddMcpTools()
            // Not WithStdioServerTransport: through the gate, requests piped in are answered whole and in order.
            .WithStreamServerTransport(gate.Input, gate.Output)
            // The token is looked up again for every message, so rotating it cuts off a running agent too.
            .WithMessageFilters(filters => filters.AddIncomingFilter(next => (context, cancellationToken) =>
            {
                context.User = projects.FindBySecretToken(token) is { } project ? McpCaller.Principal(project) : null;
                return next(context, cancellationToken);
            }));
        await builder.Build().RunAsync();
        return 0;
    }

    /// <summary>
    /// PostgreSQL when KESTREL_DATABASE_URL is set (then --db, a SQLite file, is a mistake); else kestrel.db of the data
    /// directory or --db, which must exist: an agent's typo must not make an empty database. Null after saying why.
    /// </summary>
    private static Database? OpenDatabase(KestrelOptions options, string? databasePath)
    {
        if (options.DatabaseUrl is not null)
        {
            if (databasePath is null) return new Database(options);
            CommandLine.Fail("--db names a SQLite file, but KESTREL_DATABASE_URL is set: kestrel mcp reads that PostgreSQL database; drop --db or unset KESTREL_DATABASE_URL.");
            return null;
        }
        if (databasePath is null) databasePath = options.DatabasePath;
        else options.DataDirectory = Path.GetDirectoryName(Path.GetFullPath(databasePath))!; // its source maps lie beside it
        if (File.Exists(databasePath)) return new Database(databasePath, SqliteOpenMode.ReadWrite);
        CommandLine.Fail($"There is no database at {Path.GetFullPath(databasePath)}; set KESTREL_DATA or pass --db PATH.");
        return null;
    }

    /// <summary>The database in messages: kestrel.db's path (as --db may name another file), or PostgreSQL without its password.</summary>
    private static string Name(Database database, KestrelOptions options) =>
        database.Engine == DatabaseEngine.Sqlite ? database.Path : Database.Describe(options);

    private static string Describe(Database database, KestrelOptions options) =>
        database.Engine == DatabaseEngine.Sqlite ? $"The database {database.Path}" : Database.Describe(options);
}
