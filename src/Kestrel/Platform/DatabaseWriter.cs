using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Kestrel.Platform;

/// <summary>
/// The single writer of kestrel.db inside the server. Callers queue jobs; one thread takes every job
/// that is waiting (up to <see cref="KestrelOptions.WriterMaxBatch"/>), runs them in one transaction,
/// commits once, and only then completes the callers' tasks. This is group commit: under load one
/// fsync covers many requests, with no timer: an idle server commits a lone job at once.
/// </summary>
public sealed class DatabaseWriter : BackgroundService
{
    /// <summary>
    /// The writer's own checkpoint threshold in WAL pages. <see cref="WalCheckpointer"/> copies the
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
    /// <summary>Stopwatch ticks spent inside write transactions (SQL, fsync, commit): how busy the writer is, CPU or not.</summary>
    public long BusyTicks;
    /// <summary>Jobs still queued when the server stopped, failed rather than left hanging (the stop log line says how many).</summary>
    public int RefusedAtStop { get; private set; }

    /// <summary>Runs <paramref name="work"/> on the writer; the task ends after its transaction commits.</summary>
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
    /// A job larger than the whole budget is still taken when nothing else waits.
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
        using var connection = database.Connect();
        if (connection is SqliteConnection)
        {
            using var pragma = connection.CreateCommand();
            // After a checkpoint that reaches the end, the log restarts and is cut back to 32 MiB.
            // Statement journals in memory: SQLite keeps one for every upsert that could fail halfway (each
            // tag count is one) and spills it to a temporary file past 64 KiB, and those writes cost the
            // writer a quarter of its time under array load (docs/performance.md, "Ingest cost").
            pragma.CommandText = $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages}; PRAGMA journal_size_limit = 33554432; PRAGMA temp_store = MEMORY;";
            pragma.ExecuteNonQuery();
        }
        using var session = new WriterSession(connection);
        var batch = new List<IWriteJob>(maxBatch);
        var reader = queue.Reader;
        try
        {
            while (true)
            {
                while (batch.Count < maxBatch && reader.TryRead(out var job)) batch.Add(job);
                if (batch.Count == 0)
                {
                    if (!reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult()) break;
                    continue;
                }
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                if (!TryCommitTogether(session, batch)) CommitOneByOne(session, batch);
                Interlocked.Add(ref BusyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
                foreach (var job in batch) Release(job);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
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

    /// <summary>
    /// The fast path: every job in one transaction. When any job throws, the whole transaction is rolled
    /// back (no savepoint per job: SQLite copies every dirty page into a sub-journal for each one,
    /// which cost a fifth of the writer's time) and the batch is run again one job at a time. A lone
    /// job that fails is so run twice: the second time after the rollback made stores forget what
    /// they remembered, which is what a stale memo needs.
    /// </summary>
    private bool TryCommitTogether(WriterSession session, List<IWriteJob> batch)
    {
        try
        {
            session.Begin();
            foreach (var job in batch) Execute(session, job);
            session.Commit();
        }
        catch (Exception e) when (IsDatabaseWide(e))
        {
            // Busy, full or broken: every job would fail the same way, and retrying one by one would
            // make each wait out the busy timeout again. The whole batch fails now; callers may retry.
            logger.LogError("A batch of {Count} writes failed: {Message}", batch.Count, e.Message);
            session.Rollback();
            foreach (var job in batch) job.Fail(e);
            return true;
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "A batch of {Count} writes failed; running them one by one", batch.Count);
            session.Rollback();
            Interlocked.Increment(ref RetriedBatches);
            return false;
        }
        Interlocked.Increment(ref CommittedBatches);
        Interlocked.Add(ref CommittedJobs, batch.Count);
        foreach (var job in batch) job.Complete();
        return true;
    }

    private static void Execute(WriterSession session, IWriteJob job)
    {
        if (!job.Defers) session.WritePending();
        job.Execute(session);
    }

    /// <summary>Failures of the database rather than of one job: busy, locked, I/O error, corrupt, full.</summary>
    private static bool IsDatabaseWide(Exception e) => e is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 11 or 13 or 26 };

    /// <summary>Each job in its own transaction, so one bad job fails alone.</summary>
    private void CommitOneByOne(WriterSession session, List<IWriteJob> batch)
    {
        foreach (var job in batch)
        {
            try
            {
                session.Begin();
                Execute(session, job);
                session.Commit();
            }
            catch (Exception e)
            {
                if (IsDatabaseWide(e)) logger.LogError("A write failed: {Message}", e.Message);
                session.Rollback();
                job.Fail(e);
                continue;
            }
            Interlocked.Increment(ref CommittedBatches);
            Interlocked.Increment(ref CommittedJobs);
            job.Complete();
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
