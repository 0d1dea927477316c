using System.Text.Json;
using Kestrel.Platform;
using Kestrel.Projects;
using System.Data.Common;

namespace Kestrel.Cli;

/// <summary><c>kestrel project create|list|rotate-token</c>: works on the data directory directly, with or without a running server.</summary>
public static class ProjectCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = KestrelJson.Encoder };

    public static int Run(ParsedCommand command)
    {
        var sub = command.Words.Count > 0 ? command.Words[0] : "";
        var argument = command.Words.Count > 1 ? string.Join(' ', command.Words.Skip(1)) : null;
        if (sub is not ("create" or "list" or "rotate-token"))
            return CommandLine.Fail("Use 'kestrel project create NAME', 'kestrel project list' or 'kestrel project rotate-token SLUG'.");
        if (sub != "list" && argument is null)
            return CommandLine.Fail(sub == "create" ? "Give the project a name: kestrel project create NAME." : "Name the project: kestrel project rotate-token SLUG.");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;

        try
        {
            var store = new ProjectStore(Database.OpenAndMigrate(options));
            switch (sub)
            {
                case "create":
                    PrintWithToken(store.Create(argument!, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), options, command.Json, "Created");
                    return 0;
                case "rotate-token":
                    PrintWithToken(store.RotateToken(argument!), options, command.Json, "Rotated the token of");
                    return 0;
                default:
                    PrintList(store.List(), options, command.Json);
                    return 0;
            }
        }
        catch (ProjectException e) { return CommandLine.Fail(e.Message); }
        catch (ConfigurationException e) { return CommandLine.Fail(e.Message); }
        catch (DbException e) { return CommandLine.Fail($"{Database.Describe(options)} cannot be used: {e.Message}"); }
    }

    private static void PrintWithToken(ProjectWithToken created, KestrelOptions options, bool json, string verb)
    {
        var (project, token) = created;
        var dsn = ProjectStore.Dsn(project, options.PublicUrl);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { project.Id, project.Slug, project.Name, token, project.PublicKey, dsn }, Json));
            return;
        }
        Console.WriteLine($"{verb} project '{project.Name}' (id {project.Id}, slug {project.Slug}).");
        Console.WriteLine($"  token:      {token}");
        Console.WriteLine("              (shown only now: Kestrel stores only its hash)");
        Console.WriteLine($"  public key: {project.PublicKey}");
        Console.WriteLine($"  DSN:        {dsn}");
    }

    private static void PrintList(IReadOnlyList<Project> projects, KestrelOptions options, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(projects.Select(p => new { p.Id, p.Slug, p.Name, p.PublicKey, dsn = ProjectStore.Dsn(p, options.PublicUrl) }), Json));
            return;
        }
        if (projects.Count == 0) { Console.WriteLine("No projects yet. Create one with: kestrel project create NAME"); return; }
        Console.WriteLine($"{"ID",-5} {"SLUG",-24} {"NAME",-24} DSN");
        foreach (var p in projects) Console.WriteLine($"{p.Id,-5} {p.Slug,-24} {p.Name,-24} {ProjectStore.Dsn(p, options.PublicUrl)}");
    }
}
