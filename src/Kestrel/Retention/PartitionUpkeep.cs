using Kestrel.Platform;

namespace Kestrel.Retention;

/// <summary>
/// PostgreSQL only: keeps the day partitions of events ready, on one node at a time (the lease <see cref="LeaseName"/>).
/// At start and every <see cref="Interval"/> it makes today's and the next <see cref="EventPartitions.DaysAhead"/> days'
/// partitions, and files whatever reached the default partition (an archive's old events, a clock far ahead) into
/// partitions of their own days. Retention (<see cref="RetentionJob"/>) drops the old days.
/// </summary>
public sealed class PartitionUpkeep(EventPartitions partitions, Leases leases, Database database, TimeProvider time, ILogger<PartitionUpkeep> logger)
    : BackgroundService
{
    public const string LeaseName = "partition-upkeep";
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);

    public long Runs;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        database.Engine != DatabaseEngine.Postgres
            ? Task.CompletedTask
            : LeasedLoop.RunAsync(leases, LeaseName, TimeSpan.Zero, Interval, time, _ =>
            {
                try { RunOnce(); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    // The default partition takes every row meanwhile, so a failed run costs nothing but a later filing.
                    logger.LogError("Partition upkeep failed, retrying in {Minutes} min: {Message}", Interval.TotalMinutes, e.Message);
                }
                return Task.CompletedTask;
            }, logger, stoppingToken);

    /// <returns>the partitions made ahead and the rows filed out of the default partition</returns>
    public (int Made, long Filed) RunOnce()
    {
        var made = partitions.MakeAhead(time.GetUtcNow());
        var filed = partitions.FileStrays();
        Interlocked.Increment(ref Runs);
        if (made > 0 || filed > 0)
            logger.LogInformation("Partition upkeep made {Made} day partitions of events ahead and filed {Filed} events into their days", made, filed);
        return (made, filed);
    }
}
