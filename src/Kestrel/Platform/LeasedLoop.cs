using System.Data.Common;

namespace Kestrel.Platform;

/// <summary>
/// A periodic job that runs on one node at a time: the node holding the lease <c>name</c> runs it when due and keeps the
/// lease renewed (also while the job runs); the others only try to take the lease every <see cref="Leases.Heartbeat"/>.
/// A node that takes over from a dead holder runs the job at once if it is overdue. On SQLite the lease is always held,
/// and the loop is the plain schedule it was: first after <c>firstAfter</c>, then <c>every</c> after each run's end.
/// </summary>
public static class LeasedLoop
{
    public static async Task RunAsync(Leases leases, string name, TimeSpan firstAfter, TimeSpan every, TimeProvider time,
        Func<CancellationToken, Task> work, ILogger logger, CancellationToken stoppingToken)
    {
        var due = time.GetUtcNow() + firstAfter;
        var held = false;
        try
        {
            while (true)
            {
                held = TryHold(leases, name, logger);
                if (held && time.GetUtcNow() >= due)
                {
                    await RunRenewingAsync(leases, name, work, logger, stoppingToken);
                    due = time.GetUtcNow() + every;
                }
                var wait = due - time.GetUtcNow();
                if (!leases.AlwaysGranted && (!held || wait > leases.Heartbeat)) wait = leases.Heartbeat;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            if (held)
                try { leases.Release(name); }
                catch (DbException e) { logger.LogWarning("Could not release the {Lease} lease (it expires by itself): {Message}", name, e.Message); }
        }
    }

    /// <summary>Runs the job, renewing the lease each heartbeat until it ends, so a long run is not taken over midway.</summary>
    private static async Task RunRenewingAsync(Leases leases, string name, Func<CancellationToken, Task> work, ILogger logger, CancellationToken stoppingToken)
    {
        var job = work(stoppingToken);
        while (!job.IsCompleted && !leases.AlwaysGranted)
        {
            await Task.WhenAny(job, Task.Delay(leases.Heartbeat, stoppingToken));
            if (!job.IsCompleted && !TryHold(leases, name, logger))
                logger.LogWarning("The {Lease} lease went to another node while this one was still running its job", name);
        }
        await job;
    }

    /// <summary>An unreachable database means not holding the lease now; the next heartbeat tries again.</summary>
    private static bool TryHold(Leases leases, string name, ILogger logger)
    {
        try { return leases.TryHold(name); }
        catch (DbException e)
        {
            logger.LogWarning("Could not take or renew the {Lease} lease: {Message}", name, e.Message);
            return false;
        }
    }
}
