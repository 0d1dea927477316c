namespace Kestrel.Cli;

/// <summary>
/// What runs on PostgreSQL so far: issue 16 moves Kestrel there one feature at a time. With KESTREL_DATABASE_URL set, a
/// command that needs a part not yet ported refuses at once with one sentence instead of half-working: a server that
/// took events into PostgreSQL but could not show, alert on or back them up would be worse than one that does not start.
/// When a feature is ported, its command joins <see cref="ReadyCommands"/> (docs/scaling.md keeps the same list).
/// </summary>
public static class PostgresMode
{
    /// <summary>Commands that work completely on PostgreSQL.</summary>
    private static readonly string[] ReadyCommands = ["serve", "project", "admin", "backup", "restore", "verify", "mcp", "alerts", "version", "help", "--help", "-h"];

    /// <summary>The sentence refusing <paramref name="verb"/> on PostgreSQL, or null when it runs there.</summary>
    public static string? Refusal(string verb) => ReadyCommands.Contains(verb)
        ? null
        : $"'kestrel {verb}' does not run on PostgreSQL yet (KESTREL_DATABASE_URL is set): "
          + "so unset KESTREL_DATABASE_URL (see docs/scaling.md).";
}
