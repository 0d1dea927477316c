namespace Kestrel.Platform;

/// <summary>
/// Copies the write-ahead log into kestrel.db once a second from its own connection. SQLite would
/// otherwise checkpoint inside the writer's commit every thousand pages, which took up to a fifth of
/// the writer's time under load. A passive checkpoint never blocks the writer or readers.
/// </summary>
public sealed class WalCheckpointer(Database database, ILogger<WalCheckpointer> logger) : BackgroundService
{
    public long Checkpoints;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    using var connection = database.Open();
                    using var checkpoint = connection.CreateCommand();
                    checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    checkpoint.ExecuteNonQuery();
                    Interlocked.Increment(ref Checkpoints);
                }
                catch (Microsoft.Data.Sqlite.SqliteException e)
                {
                    // The writer's own checkpoints still bound the log; a failure here only costs speed.
                    logger.LogWarning("Background checkpoint failed: {Message}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
