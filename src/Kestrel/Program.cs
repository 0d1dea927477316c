// Kestrel is one executable; the first word picks the command (PRODUCT.md §3).
using Kestrel.Cli;

var command = CommandLine.Parse(args);
return command.Verb switch
{
    "serve" => await ServeCommand.RunAsync(command),
    "project" => ProjectCommand.Run(command),
    "admin" => AdminCommand.Run(command),
    "mcp" => await McpCommand.RunAsync(command),
    "alerts" => await AlertsCommand.RunAsync(command),
    "backup" => BackupCommand.Run(command),
    "restore" => RestoreCommand.Run(command),
    "verify" => VerifyCommand.Run(command),
    "version" => VersionCommand.Run(command),
    "help" or "--help" or "-h" => CommandLine.Usage(Console.Out, 0),
    _ => CommandLine.Fail($"Unknown command '{command.Verb}'. Run 'kestrel help' for the list."),
};
