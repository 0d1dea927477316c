using System.Net;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Operations;

/// <summary>
/// The queue in front of the writer is bounded: when it is full, ingest answers 503 with Retry-After at
/// once instead of holding more bodies in memory, and what it refused is not written. The writer is
/// held still by another connection owning SQLite's write lock, as a long backup or a stuck tool would.
/// </summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task A_full_writer_queue_answers_503_at_once_and_stores_only_what_it_accepted()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_WRITER_QUEUE_CAPACITY"] = "2" });
        var project = await server.CreateProjectAsync();

        var sends = new List<Task<HttpResponseMessage>>();
        using (var blocker = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "kestrel.db")}"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }

            // Two jobs are taken (one batch, stuck on the lock); every further one must be refused at once. On a
            // starved machine the two may give up on the lock (busy, after the 10 s busy timeout) before all six
            // refusals are in: that is the machine's slowness, not a refusal missing, so it is counted, not failed.
            for (var i = 0; i < 8; i++) sends.Add(project.PostEventAsync(Events.Message($"storm {i}")));
            var waiting = sends.ToList();
            var refused = 0;
            while (refused < 6)
            {
                var done = await Task.WhenAny(waiting);
                waiting.Remove(done);
                var response = await done;
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                var text = await response.Content.ReadAsStringAsync();
                if (!text.Contains("more events waiting to be written")) { Assert.Contains("database is busy", text); continue; }
                Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
                refused++;
            }
            // The server answers while its writer is stuck.
            using var health = await server.Http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using (var rollback = blocker.CreateCommand()) { rollback.CommandText = "ROLLBACK"; rollback.ExecuteNonQuery(); }
        }

        var answers = await Task.WhenAll(sends);
        var stored = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(8 - stored, answers.Count(a => a.StatusCode == HttpStatusCode.ServiceUnavailable));
        Assert.InRange(stored, 0, 2); // the two accepted ones, unless they gave up on the lock (above)
        Assert.Equal(stored, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));
        foreach (var a in answers) a.Dispose();
    }
}
