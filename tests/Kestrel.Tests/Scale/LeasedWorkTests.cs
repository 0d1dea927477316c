using Dapper;
using Kestrel.Platform;
using Kestrel.Retention;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.Scale;

/// <summary>
/// Work that must run once (retention, partition upkeep, alert dispatch) with two real `kestrel serve` nodes on one
/// PostgreSQL database: one node holds each lease and does that work, and when it is killed (kill -9, no goodbye) the
/// other takes over once the lease expires.
/// </summary>
[Trait("Engine", "both")] // PostgreSQL by nature: it picks its engine itself
public sealed class LeasedWorkTests
{
    private static readonly string[] Work = ["retention", "partition-upkeep", "alert-dispatch"];

    [Fact]
    public async Task Each_job_runs_on_one_of_two_nodes_and_moves_to_the_other_when_its_node_is_killed()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url, ["KESTREL_RETENTION_INTERVAL_SECONDS"] = "1" };
        await using var first = await KestrelServer.StartAsync(environment);
        await using var second = await KestrelServer.StartAsync(environment);
        var nodes = new[] { first, second }.ToDictionary(n => n.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)); // a holder is "host/pid/random"
        await using var database = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));

        var holders = await WaitForHoldersAsync(database, nodes, h => h.Count == Work.Length, "a holder for every job");
        // The partitions were made ahead once, by the upkeep's holder alone.
        var today = EventPartitions.DayOf(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var days = (await database.QueryAsync<string>("SELECT relname FROM pg_class WHERE relnamespace = 'event_partitions'::regnamespace AND relkind = 'r'")).ToList();
        Assert.Contains(EventPartitions.NameOf(today + EventPartitions.DaysAhead), days);
        Assert.Single(nodes.Values, n => n.Log.Contains("Partition upkeep made"));
        foreach (var job in Work)
            Assert.Single(nodes.Values, n => n.Log.Contains($"took the {job} lease"));

        // The upkeep's node dies with a day ahead missing; the survivor takes every lease over and makes that day again.
        var victim = holders["partition-upkeep"];
        var survivor = victim == first ? second : first;
        await database.ExecuteAsync($"DROP TABLE event_partitions.{EventPartitions.NameOf(today + EventPartitions.DaysAhead)}");
        await victim.KillAsync();
        var killed = DateTime.UtcNow;
        await WaitForHoldersAsync(database, nodes, h => Work.All(job => h.TryGetValue(job, out var node) && node == survivor), "the survivor holding every job");
        Assert.True(DateTime.UtcNow - killed < TimeSpan.FromMinutes(1), $"took over after {DateTime.UtcNow - killed}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await database.ExecuteScalarAsync<bool>("SELECT to_regclass(@name) IS NULL", new { name = "event_partitions." + EventPartitions.NameOf(today + EventPartitions.DaysAhead) }))
        {
            Assert.True(DateTime.UtcNow < deadline, "the survivor never made the missing day");
            await Task.Delay(100);
        }
        Assert.False(survivor.HasExited);
    }

    /// <summary>Polls the leases table until its live holders (job → node) satisfy <paramref name="condition"/>.</summary>
    private static async Task<Dictionary<string, KestrelServer>> WaitForHoldersAsync(NpgsqlConnection database, Dictionary<string, KestrelServer> nodes,
        Func<Dictionary<string, KestrelServer>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var rows = await database.QueryAsync<(string Name, string Holder)>(
                "SELECT name, holder FROM leases WHERE expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            var holders = rows.ToDictionary(r => r.Name, r => nodes[r.Holder.Split('/')[1]]);
            if (condition(holders)) return holders;
            Assert.True(DateTime.UtcNow < deadline, $"never saw {what}; leases: {string.Join(", ", rows)}");
            await Task.Delay(100);
        }
    }
}
