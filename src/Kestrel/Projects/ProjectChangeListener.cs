using Kestrel.Platform;
using Npgsql;

namespace Kestrel.Projects;

/// <summary>
/// PostgreSQL only: listens on <see cref="Channel"/>, which every token rotation notifies (from any node or the CLI), and
/// clears this node's <see cref="RecentCredentials"/> when a notification comes. A dropped connection clears it too and
/// is opened again a second later; meanwhile the cache's one-second life still bounds how stale a look-up can be.
/// </summary>
public sealed class ProjectChangeListener(Database database, ProjectStore projects, ILogger<ProjectChangeListener> logger) : BackgroundService
{
    /// <summary>The notification channel of project changes.</summary>
    public const string Channel = "kestrel_projects";

    private long heard;
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Starts listening before the server takes requests (ExecuteAsync runs on its own since .NET 10, so start waits for
    /// it here), for at most 5 seconds: a database slow to answer only leaves the cache's one-second expiry meanwhile.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        try { await listening.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken); }
        catch (TimeoutException) { }
    }

    /// <summary>How many notifications this node has heard (and cleared its cache for).</summary>
    public long Heard => Interlocked.Read(ref heard);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var warned = false; // once per outage: the database being away is logged by what needs it
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)database.Connect();
                connection.Notification += (_, _) =>
                {
                    projects.ForgetRecentCredentials();
                    Interlocked.Increment(ref heard);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(stoppingToken);
                listening.TrySetResult();
                projects.ForgetRecentCredentials(); // whatever changed while no one listened
                warned = false;
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.IO.IOException)
            {
                projects.ForgetRecentCredentials();
                if (!warned) logger.LogWarning("Listening for project changes failed ({Message}); trying again every second.", e.Message);
                warned = true;
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
