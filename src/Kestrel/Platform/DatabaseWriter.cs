using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// The single writer of kestrel.db inside the server. Callers queue jobs; one loop takes every job
/// that is waiting (up to <see cref="KestrelOptions.WriterMaxBatch"/>), runs them in one transaction
/// (each inside a savepoint, so one failing job does not undo the others), commits once, and only
/// then completes the callers' tasks. This is group commit: under load one fsync covers many requests,
/// with no timer: an idle server commits a lone job at once.
/// </summary>
public sealed class DatabaseWriter : BackgroundService
{
    private readonly Channel<IWriteJob> queue;
    private readonly Database database;
    private readonly int maxBatch;
    private readonly ILogger<DatabaseWriter> logger;

    public DatabaseWriter(Database database, KestrelOptions options, ILogger<DatabaseWriter> logger)
    {
        this.database = database;
        this.logger = logger;
        maxBatch = options.WriterMaxBatch;
        queue = Channel.CreateBounded<IWriteJob>(new BoundedChannelOptions(options.WriterQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long CommittedBatches;
    public long CommittedJobs;

    /// <summary>Runs <paramref name="work"/> on the writer; the task ends after its transaction commits.</summary>
    public async Task<T> WriteAsync<T>(Func<WriterSession, T> work, CancellationToken cancellationToken = default)
    {
        var job = new WriteJob<T>(work);
        await queue.Writer.WriteAsync(job, cancellationToken);
        return await job.Completion;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs on its own thread: the loop blocks in SQLite and fsync, which must not starve the thread pool.
        await Task.Factory.StartNew(() => Run(stoppingToken), TaskCreationOptions.LongRunning).Unwrap();
    }

    private async Task Run(CancellationToken stoppingToken)
    {
        using var connection = database.Open();
        using var session = new WriterSession(connection);
        var batch = new List<IWriteJob>(maxBatch);
        var reader = queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (batch.Count < maxBatch && reader.TryRead(out var job)) batch.Add(job);
                CommitBatch(session, batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            // On shutdown, jobs still queued get a clear failure instead of hanging their requests.
            while (reader.TryRead(out var job)) job.Fail(new InvalidOperationException("The server is shutting down."));
        }
    }

    private void CommitBatch(WriterSession session, List<IWriteJob> batch)
    {
        var succeeded = new List<IWriteJob>(batch.Count);
        try
        {
            session.Begin();
            foreach (var job in batch)
            {
                session.Savepoint();
                try
                {
                    job.Execute(session);
                    session.ReleaseSavepoint();
                    succeeded.Add(job);
                }
                catch (Exception e) when (e is not SqliteException { SqliteErrorCode: 13 /* SQLITE_FULL */ })
                {
                    session.RollbackToSavepoint();
                    job.Fail(e);
                }
            }
            session.Commit();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Write transaction failed; {Count} writes rolled back", succeeded.Count);
            session.Rollback();
            foreach (var job in succeeded) job.Fail(e);
            return;
        }
        Interlocked.Increment(ref CommittedBatches);
        Interlocked.Add(ref CommittedJobs, succeeded.Count);
        foreach (var job in succeeded) job.Complete();
    }

    private interface IWriteJob
    {
        void Execute(WriterSession session);
        void Complete();
        void Fail(Exception error);
    }

    private sealed class WriteJob<T>(Func<WriterSession, T> work) : IWriteJob
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? result;
        public Task<T> Completion => completion.Task;
        public void Execute(WriterSession session) => result = work(session);
        public void Complete() => completion.TrySetResult(result!);
        public void Fail(Exception error) => completion.TrySetException(error);
    }
}
