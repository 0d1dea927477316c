// Kestrel.PrepareBench: what one event costs the request thread, step by step, without a server, a client or a
// database: the bench's own 4,096 events (Kestrel.Bench's generator and seed) through Kestrel's ingest steps on one
// thread. Per step: µs of CPU (wall time of a busy single thread) and managed bytes allocated, per event, medians of
// --rounds rounds of --passes passes over all events. With --tag-rows, the writer's tag rows on SQLite instead
// (TagRowFloor). See bench/README.md.
using System.Diagnostics;
using System.Text.Json;
using Kestrel.Bench;
using Kestrel.Grouping;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Projects;
using Kestrel.Tags;

var rounds = Option("--rounds", 5);
var passes = Option("--passes", 3);

var random = new Random(20261126);
var issues = IssueCatalog.Create(1000, random);
var factory = new EventFactory(random);
var events = Enumerable.Range(0, 4096).Select(i => factory.Create(issues[i % issues.Count])).ToArray();
// The generator stamps events with the time it runs; --events FILE keeps one set (written if missing) for runs to compare.
if (Array.IndexOf(args, "--events") is var at and >= 0 && at + 1 < args.Length)
{
    if (File.Exists(args[at + 1])) events = [.. File.ReadAllLines(args[at + 1]).Select(Convert.FromBase64String)];
    else File.WriteAllLines(args[at + 1], events.Select(Convert.ToBase64String));
}
var receivedAt = DateTimeOffset.UtcNow;
// --tag-rows: the writer's tag rows alone on a temporary SQLite database (TagRowFloor), instead of the request steps.
if (args.Contains("--tag-rows"))
{
    Kestrel.PrepareBench.TagRowFloor.Run(events, rounds);
    return;
}
Console.WriteLine($"{events.Length} events, median {events.Select(e => e.Length).Order().ElementAt(events.Length / 2)} bytes; "
    + $"{rounds} rounds of {passes} passes; {Environment.ProcessorCount} cores");

// The project look-up every request makes, on a fresh SQLite database in a temporary directory.
var directory = Directory.CreateTempSubdirectory("kestrel-prepare-bench-");
var projects = new ProjectStore(Database.OpenAndMigrate(new KestrelOptions { DataDirectory = directory.FullName }));
var token = projects.Create("bench", 0).Token;

// Steps that compress give the payload's pooled array back, as a request does once the writer has stored its events
// (IngestService.StoreAsync); kept, they would make the pool allocate a new array for every event.
var steps = new (string Name, Action<byte[]> Run)[]
{
    ("parse (JsonDocument)", body => { using var d = JsonDocument.Parse(body); }),
    ("parse + normalise", body => { using var d = JsonDocument.Parse(body); EventNormaliser.Normalise(d.RootElement, receivedAt).CompressedPayload.Return(); }),
    ("parse + exceptions", body => { using var d = JsonDocument.Parse(body); ExceptionReader.Read(d.RootElement); }),
    ("parse + tags", body => { using var d = JsonDocument.Parse(body); EventTags.Read(d.RootElement, "error"); }),
    ("group (of a normalised event)", null!),
    ("compress (of a normalised payload)", null!),
    ("Prepare, all steps", body => { foreach (var e in IngestPipeline.Prepare(body, receivedAt).Events!) e.StoredPayload.Return(); }),
    ("project look-up by token (SQLite)", _ => projects.FindBySecretToken(token)),
};

// --digest: one SHA-256 over what ingest makes of every event (stored JSON, grouping, tags), to show that a change to
// the request side leaves the results byte for byte as they were (run it on the builds before and after).
if (args.Contains("--digest"))
{
    using var digest = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    foreach (var body in events)
    {
        using var d = JsonDocument.Parse(body);
        var e = EventNormaliser.Normalise(d.RootElement, receivedAt, eventId: "0123456789abcdef0123456789abcdef");
        var g = GroupingV1.Group(e);
        var tags = EventTags.Read(d.RootElement, e.Level);
        digest.AppendData(e.Payload);
        digest.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", g.Fingerprint, g.Title, g.Type, g.Culprit, tags.Dropped,
            string.Join("\n", tags.Tags.Select(t => t.Key + "=" + t.Value)))));
    }
    Console.WriteLine($"digest of stored JSON, grouping and tags: {Convert.ToHexStringLower(digest.GetHashAndReset())}");
    return;
}

// Grouping and compression measured alone, on events normalised beforehand.
var normalised = events.Select(body => { using var d = JsonDocument.Parse(body); return EventNormaliser.Normalise(d.RootElement, receivedAt); }).ToArray();
var results = steps.Select(_ => (Us: new List<double>(), Bytes: new List<double>())).ToArray();
for (var round = 0; round <= rounds; round++)
{
    for (var s = 0; s < steps.Length; s++)
    {
        var start = Stopwatch.GetTimestamp();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var pass = 0; pass < passes; pass++)
        {
            for (var i = 0; i < events.Length; i++)
            {
                switch (s)
                {
                    case 4: GroupingV1.Group(normalised[i]); break;
                    case 5: StoredPayload.Compress(normalised[i].Payload).Return(); break;
                    default: steps[s].Run(events[i]); break;
                }
            }
        }
        var n = (double)passes * events.Length;
        if (round == 0) continue; // warm-up: every method reaches its final tier
        results[s].Us.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / n);
        results[s].Bytes.Add((GC.GetAllocatedBytesForCurrentThread() - allocated) / n);
    }
}

Console.WriteLine($"{"step",-36} {"µs per event",14} {"KB allocated per event",24}");
for (var s = 0; s < steps.Length; s++)
    Console.WriteLine($"{steps[s].Name,-36} {Median(results[s].Us),14:0.0} {Median(results[s].Bytes) / 1024,24:0.00}");

((object)projects as IDisposable)?.Dispose(); // kept open by the look-ups since they are prepared
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
directory.Delete(recursive: true);

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
