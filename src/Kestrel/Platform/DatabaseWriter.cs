using System.Threading.Channels;

namespace Kestrel.Platform;

/// <summary>
/// The single writer of the database inside the server (kestrel.db, or this node's one writing connection to PostgreSQL). Callers queue jobs; one thread takes every job
/// that is waiting (up to <see cref="KestrelOptions.WriterMaxBatch"/>), runs them in one transaction,
/// commits once, and only then completes the callers' tasks. This is group commit: under load one
/// fsync covers many requests, with no timer: an idle server commits a lone job at once.
/// </summary>
public sealed class DatabaseWriter : BackgroundService
{
    /// <summary>
    /// SQLite: the writer's own checkpoint threshold in WAL pages (<see cref="Database.ConnectWriter"/>). <see cref="WalCheckpointer"/> copies the
    /// log into the database off this thread; this bound only ends the log's growth under constant
    /// load, when the background checkpoints never catch up with the newest frames.
    /// </summary>
    internal const int AutoCheckpointPages = 4096;

    private readonly Channel<IWriteJob> queue;
    private readonly Database database;
    private readonly int maxBatch;
    private readonly long maxQueuedBytes;
    private readonly int maxQueuedJobs;
    private long queuedBytes;
    private int queuedJobs;
    private readonly ILogger<DatabaseWriter> logger;

    public DatabaseWriter(Database database, KestrelOptions options, ILogger<DatabaseWriter> logger)
    {
        this.database = database;
        this.logger = logger;
        maxBatch = options.WriterMaxBatch;
        maxQueuedBytes = options.WriterQueueMb * 1024L * 1024;
        maxQueuedJobs = options.WriterQueueCapacity;
        queue = Channel.CreateBounded<IWriteJob>(new BoundedChannelOptions(options.WriterQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long CommittedBatches;
    public long CommittedJobs;
    public long RetriedBatches;
    /// <summary>Transactions run again after a deadlock or serialization failure with another node's (PostgreSQL).</summary>
    public long ConflictRetries;
    /// <summary>Stopwatch ticks spent inside write transactions (SQL, fsync, commit): how busy the writer is, CPU or not.</summary>
    public long BusyTicks;
    /// <summary>Jobs still queued when the server stopped, failed rather than left hanging (the stop log line says how many).</summary>
    public int RefusedAtStop { get; private set; }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer; the task ends after its transaction commits. Whatever way it ends
    /// (committed; failed for good, after any rerun in a transaction of its own; refused without running, as at shutdown),
    /// the writer will not run <paramref name="work"/> again, so memory the work reads may be reused then (pooled event
    /// payloads are).
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<WriterSession, T> work, CancellationToken cancellationToken = default, bool defers = false)
    {
        var job = new WriteJob<T>(work, defers: defers);
        await queue.Writer.WriteAsync(job, cancellationToken);
        return await job.Completion;
    }

    /// <summary>
    /// Like <see cref="WriteAsync{T}"/> for work that may be refused: when <see cref="KestrelOptions.WriterQueueCapacity"/>
    /// jobs or <see cref="KestrelOptions.WriterQueueMb"/> of <paramref name="bytes"/> are already waiting, it returns
    /// null at once. Waiting instead would hold every request's body in memory for as long as the storm lasts.
    /// A job larger than the whole budget is still taken when nothing else waits. When it returns a task, that task ends as
    /// <see cref="WriteAsync{T}"/>'s does: only when the writer will not run <paramref name="work"/> again.
    /// </summary>
    /// <param name="defers">
    /// the job leaves part of its writes to <see cref="WriterSession.Pending{T}"/>, made at the commit; a job
    /// that does not defer gets every pending write made before it runs
    /// </param>
    public Task<T>? TryWriteAsync<T>(Func<WriterSession, T> work, long bytes, bool defers = false)
    {
        // Counted until the job completes, not until the writer takes it: the writer takes every waiting
        // job into its batch at once, so a stuck batch would otherwise leave the queue always "empty".
        var total = Interlocked.Add(ref queuedBytes, bytes);
        var jobs = Interlocked.Increment(ref queuedJobs);
        var job = new WriteJob<T>(work, bytes, refusable: true, defers);
        if ((total > maxQueuedBytes && total != bytes) || jobs > maxQueuedJobs || !queue.Writer.TryWrite(job))
        {
            Release(job);
            return null;
        }
        return job.Completion;
    }

    private void Release(IWriteJob job)
    {
        if (!job.Refusable) return;
        Interlocked.Add(ref queuedBytes, -job.Bytes);
        Interlocked.Decrement(ref queuedJobs);
    }

    /// <summary>Bytes of refusable work (<see cref="TryWriteAsync{T}"/>) waiting or being written.</summary>
    public long QueuedBytes => Interlocked.Read(ref queuedBytes);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A thread of its own, not the pool: the loop blocks in SQLite and fsync, and keeping SQLite's
        // work on one thread keeps its allocations in one malloc arena.
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { Run(stoppingToken); stopped.TrySetResult(); }
            catch (Exception e) { stopped.TrySetException(e); }
        })
        { Name = "kestrel-writer", IsBackground = true };
        thread.Start();
        return stopped.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        var batch = new List<IWriteJob>(maxBatch);
        var reader = queue.Reader;
        try
        {
            // Connected at start, so the first request does not wait for it. A database that is down only makes writes fail
            // until it is back; any other failure to open (a bug, an unusable path) ends the server, as it always did.
            OpenSession();
            while (true)
            {
                while (batch.Count < maxBatch && reader.TryRead(out var job)) batch.Add(job);
                if (batch.Count == 0)
                {
                    if (!reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult()) break;
                    continue;
                }
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                if (OpenSession() is not { } open) foreach (var job in batch) job.Fail(connectFailure!);
                else if (!TryCommitTogether(open, batch)) CommitOneByOne(open, batch);
                Interlocked.Add(ref BusyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
                foreach (var job in batch) Release(job);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            session?.Dispose();
            // On shutdown, jobs still queued get a clear failure instead of hanging their requests,
            // and later ones are refused at the door (ChannelClosedException).
            queue.Writer.TryComplete();
            while (reader.TryRead(out var job))
            {
                Release(job);
                job.Fail(new ServerStoppingException());
                RefusedAtStop++;
            }
        }
    }

    // Only the writer's thread touches these.
    private WriterSession? session;
    private Exception? connectFailure;
    private long nextConnectAt;

    /// <summary>
    /// The writer's session, connecting first when it has none: at start, and on PostgreSQL after the database failed
    /// (<see cref="DropSession"/>). Null while the database cannot be reached: the batch then fails with
    /// <see cref="connectFailure"/> (503 and Retry-After to ingest) and the writer tries again for a later batch, at most
    /// once per <see cref="ReconnectPause"/>, so a server that is down is not hammered by every request.
    /// </summary>
    private WriterSession? OpenSession()
    {
        if (session is not null) return session;
        if (connectFailure is not null && System.Diagnostics.Stopwatch.GetTimestamp() < nextConnectAt) return null;
        try
        {
            session = new WriterSession(database.ConnectWriter());
            if (connectFailure is not null) logger.LogWarning("The writer is connected to the database again.");
            connectFailure = null;
            return session;
        }
        catch (Exception e) when (DatabaseFailures.IsDatabaseWide(e))
        {
            if (connectFailure is null) logger.LogError("The writer cannot connect to the database; writes fail until it can: {Message}", e.Message);
            connectFailure = e;
            nextConnectAt = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(ReconnectPause.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            return null;
        }
    }

    /// <summary>How long the writer waits, after failing to connect, before it tries again (batches meanwhile fail at once).</summary>
    private static readonly TimeSpan ReconnectPause = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After a failure of the whole database. PostgreSQL: the connection may be gone or lead to a server that is
    /// going away (dropped, restarted, failed over), so the next batch opens a new one. SQLite's connection to its file
    /// outlives busy and full, and is kept.
    /// </summary>
    private void DropSession()
    {
        if (session is null || (session.Engine == DatabaseEngine.Sqlite && session.Connection.State == System.Data.ConnectionState.Open)) return;
        session.Dispose();
        session = null;
        database.ForgetPooledConnections();
    }

    /// <summary>How many times a transaction that met another node's in the wrong order is run before it counts as failed.</summary>
    private const int ConflictAttempts = 4;

    /// <summary>
    /// Runs <paramref name="jobs"/> in one transaction and commits it; null when it committed, else the failure (rolled
    /// back). A deadlock or serialization failure (PostgreSQL, between nodes) is not the jobs' fault: they run again.
    /// </summary>
    private Exception? RunTransaction(WriterSession session, IReadOnlyList<IWriteJob> jobs)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                session.Begin();
                foreach (var job in jobs) Execute(session, job);
                session.Commit();
                return null;
            }
            catch (Exception e)
            {
                session.Rollback();
                if (!DatabaseFailures.IsConflict(e) || attempt == ConflictAttempts) return e;
                Interlocked.Increment(ref ConflictRetries);
                logger.LogInformation("A write transaction of {Count} jobs ran into another's locks ({Message}); running it again", jobs.Count, e.Message);
            }
        }
    }

    /// <summary>
    /// The fast path: every job in one transaction. When any job throws, the whole transaction is rolled
    /// back (no savepoint per job: SQLite copies every dirty page into a sub-journal for each one,
    /// which cost a fifth of the writer's time) and the batch is run again one job at a time. A lone
    /// job that fails is so run twice: the second time after the rollback made stores forget what
    /// they remembered, which is what a stale memo needs.
    /// </summary>
    private bool TryCommitTogether(WriterSession session, List<IWriteJob> batch)
    {
        var failure = RunTransaction(session, batch);
        if (failure is null)
        {
            Interlocked.Increment(ref CommittedBatches);
            Interlocked.Add(ref CommittedJobs, batch.Count);
            foreach (var job in batch) job.Complete();
            return true;
        }
        if (DatabaseFailures.IsDatabaseWide(failure))
        {
            // Busy, full, broken or gone: every job would fail the same way, and retrying one by one would
            // make each wait out the busy timeout again. The whole batch fails now; callers may retry.
            logger.LogError("A batch of {Count} writes failed: {Message}", batch.Count, failure.Message);
            foreach (var job in batch) job.Fail(failure);
            DropSession();
            return true;
        }
        logger.LogDebug(failure, "A batch of {Count} writes failed; running them one by one", batch.Count);
        Interlocked.Increment(ref RetriedBatches);
        return false;
    }

    private static void Execute(WriterSession session, IWriteJob job)
    {
        if (!job.Defers) session.WritePending();
        job.Execute(session);
    }

    /// <summary>Each job in its own transaction, so one bad job fails alone; a failure of the database fails the rest too.</summary>
    private void CommitOneByOne(WriterSession session, List<IWriteJob> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var failure = RunTransaction(session, [batch[i]]);
            if (failure is null)
            {
                Interlocked.Increment(ref CommittedBatches);
                Interlocked.Increment(ref CommittedJobs);
                batch[i].Complete();
                continue;
            }
            batch[i].Fail(failure);
            if (!DatabaseFailures.IsDatabaseWide(failure)) continue;
            logger.LogError("A write failed: {Message}", failure.Message);
            for (var rest = i + 1; rest < batch.Count; rest++) batch[rest].Fail(failure);
            DropSession();
            return;
        }
    }

    private interface IWriteJob
    {
        long Bytes { get; }
        bool Refusable { get; }
        bool Defers { get; }
        void Execute(WriterSession session);
        void Complete();
        void Fail(Exception error);
    }

    private sealed class WriteJob<T>(Func<WriterSession, T> work, long bytes = 0, bool refusable = false, bool defers = false) : IWriteJob
    {
        public long Bytes => bytes;
        public bool Refusable => refusable;
        public bool Defers => defers;
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? result;
        public Task<T> Completion => completion.Task;
        public void Execute(WriterSession session) => result = work(session);
        public void Complete() => completion.TrySetResult(result!);
        public void Fail(Exception error) => completion.TrySetException(error);
    }
}
