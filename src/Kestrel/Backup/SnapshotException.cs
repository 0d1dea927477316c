namespace Kestrel.Backup;

/// <summary>A backup, verify or restore that cannot go on; the message is one sentence for the operator.</summary>
public sealed class SnapshotException(string message, int exitCode = SnapshotException.Failed) : Exception(message)
{
    /// <summary>Exit codes of backup, verify and restore; 2 is a usage or configuration mistake, as for every command.</summary>
    public const int Failed = 1, ServerRunning = 3;

    public int ExitCode { get; } = exitCode;
}
