using Kestrel.Platform;

namespace Kestrel.Cli;

/// <summary>The parsed command line: the verb, its words, and the flags every command shares.</summary>
public sealed record ParsedCommand(string Verb, IReadOnlyList<string> Words, string? ConfigPath, bool Json);

public static class CommandLine
{
    public static ParsedCommand Parse(string[] args)
    {
        var words = new List<string>();
        string? config = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length: config = args[++i]; break;
                case var a when a.StartsWith("--config=", StringComparison.Ordinal): config = a["--config=".Length..]; break;
                case "--json": json = true; break;
                default: words.Add(args[i]); break;
            }
        }
        var verb = words.Count == 0 ? "serve" : words[0];
        return new ParsedCommand(verb, words.Skip(1).ToList(), config, json);
    }

    /// <summary>
    /// Loads settings; a bad one ends the command with its one-line message. An unknown KESTREL_* variable
    /// (a misspelt setting, most likely) gets a warning on stderr and is otherwise ignored.
    /// </summary>
    public static KestrelOptions? LoadOptions(ParsedCommand command)
    {
        var environment = Environment.GetEnvironmentVariables();
        foreach (var (name, suggestion) in SettingsLoader.UnknownVariables(environment))
            Console.Error.WriteLine($"kestrel: warning: {name} is not a Kestrel setting and is ignored." + (suggestion is null ? "" : $" Did you mean {suggestion}?"));
        KestrelOptions options;
        try { options = SettingsLoader.Load(command.ConfigPath, environment); }
        catch (ConfigurationException e) { Fail(e.Message); return null; }
        return options;
    }

    public static int Fail(string sentence)
    {
        Console.Error.WriteLine("kestrel: " + sentence);
        return 2;
    }

    public static int Usage(TextWriter output, int exitCode)
    {
        output.WriteLine("""
            Usage: kestrel [command] [--config PATH]

              serve                            run the server (the default command)
              project create NAME [--json]     create a project; prints its token (only now), public key and DSN
              project list [--json]            list projects
              project rotate-token SLUG [--json]  replace a project's secret token
              admin reset-password [--json]    a new admin password for the web UI; signs every session out
              mcp [--db PATH]                  MCP server over stdio for the project of KESTREL_TOKEN
              alerts test CHANNEL_ID [--json]  send a test notification to an alert channel; exit 0 when delivered
              backup FILE.tar.gz [--json]      online snapshot of the database and source maps
              restore FILE.tar.gz              verify an archive, then swap it into the data directory (server stopped)
              verify FILE.tar.gz [--json]      check an archive without restoring it
              version                          print version and commit

            Settings come from defaults, then kestrel.toml (--config PATH, else $KESTREL_DATA/kestrel.toml),
            then KESTREL_* environment variables. See docs/configuration.md.
            """);
        return exitCode;
    }
}
