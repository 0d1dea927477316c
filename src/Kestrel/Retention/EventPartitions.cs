using System.Data.Common;
using System.Globalization;
using Dapper;
using Kestrel.Platform;
using Npgsql;

namespace Kestrel.Retention;

/// <summary>
/// PostgreSQL's events table is partitioned by day (UTC) of received_at: one table per day in the schema
/// event_partitions, named events_YYYYMMDD, plus events_default for a row whose day has none yet
/// (Platform/Migrations/postgres/0001_initial.sql). This makes days ahead of time, files rows that reached the default
/// partition into their day's, and drops whole days for retention. Each change is one short transaction of its own,
/// off the writer: partition DDL waits for table locks, and ingest must not wait behind it. Its SQL is DDL with
/// computed day numbers (never user input) spliced in, since DDL takes no parameters.
/// </summary>
public sealed class EventPartitions(Database database)
{
    /// <summary>Days made ahead of today, so that a partition upkeep that stops for a while still leaves room.</summary>
    public const int DaysAhead = 7;

    public const long DayMs = 86_400_000;

    /// <summary>Key of the transaction-level advisory lock that partition changes take ("kestrel partitions"): nodes change them one at a time.</summary>
    private const long LockKey = 0x6B65_7374_7265_6C50;

    /// <summary>The day (days since 1970-01-01 UTC) that holds <paramref name="ms"/>.</summary>
    public static long DayOf(long ms) => (long)Math.Floor(ms / (double)DayMs);

    public static string NameOf(long day) => "events_" + DateTimeOffset.FromUnixTimeMilliseconds(day * DayMs).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static long? DayOfName(string name) =>
        DateTimeOffset.TryParseExact(name["events_".Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? DayOf(at.ToUnixTimeMilliseconds()) : null;

    /// <summary>The day partitions there are, oldest first (the default partition is not one of them).</summary>
    public IReadOnlyList<long> Days()
    {
        using var connection = database.Connect();
        return connection.Query<string>("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'public.events'::regclass AND c.relname <> 'events_default'
            """).Select(DayOfName).OfType<long>().Order().ToList();
    }

    /// <summary>Makes the partitions of today through <see cref="DaysAhead"/> days ahead that are missing; returns how many it made.</summary>
    public int MakeAhead(DateTimeOffset now)
    {
        var today = DayOf(now.ToUnixTimeMilliseconds());
        var existing = Days().ToHashSet();
        var made = 0;
        for (var day = today; day <= today + DaysAhead; day++)
            if (!existing.Contains(day) && Make(day)) made++;
        return made;
    }

    /// <summary>Moves every row of the default partition into its day's partition (made for it); returns the rows moved.</summary>
    public long FileStrays()
    {
        List<long> days;
        using (var connection = database.Connect())
            days = connection.Query<long>($"SELECT DISTINCT floor(received_at / {DayMs}.0)::bigint FROM event_partitions.events_default ORDER BY 1").AsList();
        long moved = 0;
        foreach (var day in days) moved += Math.Max(0, MakeReporting(day));
        return moved;
    }

    /// <summary>Makes the partition of <paramref name="day"/>; false when another node made it first.</summary>
    public bool Make(long day) => MakeReporting(day) >= 0;

    /// <summary>
    /// Makes the partitions of <paramref name="days"/> that are missing, inside the caller's transaction: for a restore,
    /// whose COPY then puts each event straight into its day instead of the default partition. ATTACH locks the default
    /// partition: call it before the transaction reads events, or where no one else writes them (an empty database).
    /// </summary>
    public static void MakeDays(DbConnection connection, DbTransaction transaction, IEnumerable<long> days)
    {
        foreach (var day in days.Distinct().Order()) Make(connection, transaction, day);
    }

    private long MakeReporting(long day)
    {
        using var connection = database.Connect();
        using var transaction = connection.BeginTransaction();
        var moved = Make(connection, transaction, day);
        transaction.Commit();
        return moved;
    }

    /// <summary>
    /// Makes the day's partition as a plain table, moves the day's rows out of the default partition into it, and attaches
    /// it: ATTACH takes a lighter lock on events than CREATE TABLE … PARTITION OF (readers and the writer go on), and the
    /// default partition must hold no row of the day when it is attached. Returns the rows moved, or -1 when it existed.
    /// </summary>
    private static long Make(DbConnection connection, DbTransaction transaction, long day)
    {
        var name = NameOf(day);
        var (from, to) = (day * DayMs, (day + 1) * DayMs);
        connection.Execute("SELECT pg_advisory_xact_lock(@key)", new { key = LockKey }, transaction);
        if (connection.ExecuteScalar<bool>("SELECT to_regclass(@table) IS NOT NULL", new { table = "event_partitions." + name }, transaction))
            return -1;
        connection.Execute($"CREATE TABLE event_partitions.{name} (LIKE public.events INCLUDING DEFAULTS)", transaction: transaction);
        var moved = connection.Execute($"""
            WITH moved AS (DELETE FROM event_partitions.events_default WHERE received_at >= {from} AND received_at < {to} RETURNING *)
            INSERT INTO event_partitions.{name} SELECT * FROM moved
            """, transaction: transaction);
        connection.Execute($"ALTER TABLE public.events ATTACH PARTITION event_partitions.{name} FOR VALUES FROM ({from}) TO ({to})", transaction: transaction);
        return moved;
    }

    /// <summary>
    /// Drops the day's partition with its events, and forgets their event ids and feedback. Returns the events dropped,
    /// or null when the drop had to wait more than a few seconds for readers (the next run tries again).
    /// </summary>
    public long? Drop(long day)
    {
        var name = NameOf(day);
        var (from, to) = (day * DayMs, (day + 1) * DayMs);
        using var connection = database.Connect();
        using var transaction = connection.BeginTransaction();
        connection.Execute("SELECT pg_advisory_xact_lock(@key)", new { key = LockKey }, transaction);
        if (connection.ExecuteScalar<bool>("SELECT to_regclass(@table) IS NULL", new { table = "event_partitions." + name }, transaction)) return 0;
        // Dropping a partition locks all of events for a moment: rather than queue (and hold up every reader behind it)
        // for a long report, give up after a while.
        connection.Execute("SET LOCAL lock_timeout = '5s'", transaction: transaction);
        var events = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM event_partitions.{name}", transaction: transaction);
        connection.Execute("""
            DELETE FROM user_feedback f USING event_ids e
            WHERE e.received_at >= @from AND e.received_at < @to AND f.project_id = e.project_id AND f.event_id = e.event_id
            """, new { from, to }, transaction);
        try { connection.Execute($"DROP TABLE event_partitions.{name}", transaction: transaction); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable) { return null; }
        connection.Execute("DELETE FROM event_ids WHERE received_at >= @from AND received_at < @to", new { from, to }, transaction);
        transaction.Commit();
        return events;
    }
}
