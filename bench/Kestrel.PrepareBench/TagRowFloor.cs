using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Tags;

namespace Kestrel.PrepareBench;

/// <summary>
/// <c>--tag-rows</c>: what the writer's tag rows cost SQLite at the least, with nothing else on the machine. The bench's
/// events, their tags read as ingest reads them, go through the writer's own code for tag rows
/// (<see cref="IssueTagCounts"/>, on a writer connection of a freshly migrated database) in transactions of 14 events
/// (what the writer commits together under 32 connections of single events) and of 1,400 (arrays of 100). The first pass
/// over the events makes most rows (the bench's pods, users and build-hashed releases are new to their issue); every
/// later pass finds every row, which is the cheapest case there is: one B-tree search and one row rewritten per row.
/// CPU of the process per event and per tag (rows of the same issue, key and value in one transaction are summed into
/// one, so larger transactions write fewer rows than tags), commits apart: the first pass once, the later ones as the
/// median of the rounds. No request, no events table, no issue counts: a floor under what tags add to the writer, not
/// an estimate of it.
/// </summary>
internal static class TagRowFloor
{
    public static void Run(byte[][] bodies, int rounds)
    {
        var tagged = bodies.Select((body, i) =>
        {
            using var d = JsonDocument.Parse(body);
            var e = EventNormaliser.Normalise(d.RootElement, DateTimeOffset.UtcNow);
            return (Issue: 1 + (long)(i % 1000), Event: PreparedEvent.From(e, EventTags.Read(d.RootElement, e.Level)));
        }).ToArray();
        var rowsPerEvent = tagged.Average(t => t.Event.Tags.Tags.Count);
        Console.WriteLine($"{tagged.Length} events over 1,000 issues, {rowsPerEvent:0.0} tags per event; {rounds} rounds");
        Console.WriteLine($"{"events per transaction",-24} {"rows",-10} {"µs CPU per event",18} {"µs per tag",12} {"commit µs (wall) per event",28}");
        foreach (var perTransaction in new[] { 14, 1_400 })
        {
            var directory = Directory.CreateTempSubdirectory("kestrel-tag-floor-");
            try
            {
                var database = Database.OpenAndMigrate(new KestrelOptions { DataDirectory = directory.FullName });
                using var session = new WriterSession(database.ConnectWriter());
                var first = Pass(session, tagged, perTransaction);
                var made = session.Connection.ExecuteScalar<long>("SELECT count(*) FROM issue_tags");
                var later = new List<(double Cpu, double Commit)>();
                for (var round = 0; round <= rounds; round++)
                {
                    var pass = Pass(session, tagged, perTransaction);
                    if (round > 0) later.Add(pass); // round 0 warms the JIT up on rows that exist
                }
                var found = (Cpu: Median(later.Select(p => p.Cpu)), Commit: Median(later.Select(p => p.Commit)));
                Print(perTransaction, "mostly new", first, rowsPerEvent);
                Print(perTransaction, "all found", found, rowsPerEvent);
                // What a new row costs beyond a found one: the first pass's rows, less what they would cost had they all been found.
                var newPerEvent = (double)made / tagged.Length;
                Console.WriteLine($"{"",-24} first pass: {newPerEvent:0.0} of the {rowsPerEvent:0.0} rows per event new, "
                    + $"{(first.Cpu - found.Cpu) / newPerEvent:0.00} µs more per new row than per found row");
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                directory.Delete(recursive: true);
            }
        }
    }

    /// <summary>One pass over every event: CPU per event spent writing tag rows, and wall time per event spent committing.</summary>
    private static (double Cpu, double Commit) Pass(WriterSession session, (long Issue, PreparedEvent Event)[] tagged, int perTransaction)
    {
        var counts = new IssueTagCounts();
        TimeSpan cpu = TimeSpan.Zero, commit = TimeSpan.Zero;
        for (var start = 0; start < tagged.Length; start += perTransaction)
        {
            // BEGIN as SQL, not a DbTransaction: IssueTagCounts' one command per transaction runs through the session, which
            // gives it the writer's transaction, and the writer's transaction is internal to the server.
            session.Connection.Execute("BEGIN IMMEDIATE");
            var before = Environment.CpuUsage.TotalTime;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (issue, e) in tagged.AsSpan(start, Math.Min(perTransaction, tagged.Length - start))) counts.Add(1, issue, e, now);
            counts.Write(session);
            counts.Clear();
            cpu += Environment.CpuUsage.TotalTime - before;
            var committing = Stopwatch.GetTimestamp();
            session.Connection.Execute("COMMIT");
            commit += Stopwatch.GetElapsedTime(committing);
        }
        return (cpu.TotalMicroseconds / tagged.Length, commit.TotalMicroseconds / tagged.Length);
    }

    private static void Print(int perTransaction, string rows, (double Cpu, double Commit) pass, double rowsPerEvent) =>
        Console.WriteLine($"{perTransaction,-24:N0} {rows,-10} {pass.Cpu,18:0.0} {pass.Cpu / rowsPerEvent,12:0.00} {pass.Commit,28:0.0}");

    private static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
}
