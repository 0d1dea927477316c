using System.Data.Common;
using System.Text.Json;
using Kestrel.Platform;

namespace Kestrel.Cli;

/// <summary>
/// <c>kestrel admin reset-password</c>: a new admin password for the web UI, printed once, for an operator who lost the
/// generated one (or fears it leaked). It replaces the stored password (the data directory's file on SQLite, the shared
/// secrets row on PostgreSQL) and signs every admin session out at once. Running servers read the stored password at every
/// sign-in, so it holds at once, on every node, without a restart. With KESTREL_ADMIN_PASSWORD set there is nothing to
/// reset here.
/// </summary>
public static class AdminCommand
{
    public static int Run(ParsedCommand command)
    {
        if (command.Words is not ["reset-password"]) return CommandLine.Fail("Use 'kestrel admin reset-password'.");
        if (CommandLine.LoadOptions(command) is not { } options) return 2;
        if (options.AdminPassword is not null)
            return CommandLine.Fail("The admin password comes from KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml): change it there and restart the server.");
        string password;
        try { password = Secrets.ResetAdminPassword(options, Database.OpenAndMigrate(options), new DataDirectory(options)); }
        catch (ConfigurationException e) { return CommandLine.Fail(e.Message); }
        catch (DbException e) { return CommandLine.Fail($"{Database.Describe(options)} cannot be used: {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandLine.Fail($"The new admin password cannot be written to {new DataDirectory(options).AdminPasswordPath}: {e.Message}");
        }

        if (command.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { admin_password = password }));
            return 0;
        }
        Console.WriteLine($"New admin password: {password}");
        Console.WriteLine("  (shown only now; every admin session has been signed out. Running servers take it at once.)");
        return 0;
    }
}
