using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Platform;

// SQLite by nature: kestrel.db's integrity check and the sqlite3 tool. On PostgreSQL, MultiNodeTests kills a node
// during ingest and checks every acknowledged event through the API.
[Trait("Engine", "sqlite")]
public sealed class CrashSafetyTests
{
    /// <summary>
    /// kill -9 while eight clients keep sending: every event that was answered 200 must be in the
    /// database after a restart, and the database must pass integrity_check.
    /// </summary>
    [Fact]
    public async Task Every_acknowledged_event_survives_kill_9_during_sustained_ingest()
    {
        using var data = new TempDirectory();
        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            var project = await server.CreateProjectAsync();
            var enoughAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource();

            async Task Client(int client)
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        using var response = await project.PostEventAsync(Events.Exception("CrashError", $"client {client} event {n}", function: "f" + n % 50));
                        if (!response.IsSuccessStatusCode) continue;
                        acknowledged.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
                        if (acknowledged.Count >= 400) enoughAcknowledged.TrySetResult();
                    }
                    catch (HttpRequestException) { return; } // the server is gone
                    catch (TaskCanceledException) { return; }
                }
            }

            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(() => Client(c))).ToArray();
            await enoughAcknowledged.Task.WaitAsync(TimeSpan.FromSeconds(120));
            await server.KillAsync(); // mid-stream: clients are still sending
            stop.Cancel();
            await Task.WhenAll(clients);
        }

        var snapshot = acknowledged.ToHashSet();
        Assert.True(snapshot.Count >= 400);
        await using (var restarted = await KestrelServer.StartAsync(dataDirectory: data.Path))
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "kestrel.db")}");
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
            using var ids = connection.CreateCommand();
            ids.CommandText = "SELECT event_id FROM events";
            var stored = new HashSet<string>();
            using (var reader = ids.ExecuteReader()) while (reader.Read()) stored.Add(reader.GetString(0));
            var missing = snapshot.Where(id => !stored.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {snapshot.Count} acknowledged events are missing");
            Assert.Equal("ready", await restarted.Http.GetStringAsync("/healthz/ready"));
        }
    }

    /// <summary>The real sqlite3 tool can read the live database while the server runs.</summary>
    [Fact]
    public async Task The_sqlite3_tool_counts_events_and_issues()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("OneError", "a"));
        await project.IngestAsync(Events.Exception("OneError", "a"));
        await project.IngestAsync(Events.Exception("TwoError", "b", function: "other"));

        var info = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(server.DataDirectory, "kestrel.db"));
        info.ArgumentList.Add("SELECT COUNT(*) FROM events; SELECT COUNT(*) FROM issues;");
        using var sqlite = Process.Start(info)!;
        var output = await sqlite.StandardOutput.ReadToEndAsync();
        await sqlite.WaitForExitAsync();
        Assert.True(sqlite.ExitCode == 0, await sqlite.StandardError.ReadToEndAsync());
        Assert.Equal(["3", "2"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
