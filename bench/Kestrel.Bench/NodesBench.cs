namespace Kestrel.Bench;

/// <summary>
/// The <c>nodes</c> mode (issue 16 §6): single events to N Kestrel nodes of one PostgreSQL database, each node taking an
/// equal share of the connections, as a load balancer spreads them (N = <c>--nodes</c>, 2 by default; 1 gives the same
/// figures for one node, to interleave with). Processed events are counted in the shared database once the load ends;
/// CPU, RSS and allocation are reported per node, and the CPU of all nodes per processed event.
/// </summary>
public static class NodesBench
{
    public static async Task RunAsync(Metrics m, BenchOptions options, string serverDirectory, BodySet singles)
    {
        var name = options.Nodes == 1 ? "1 node" : $"{options.Nodes} nodes";
        await using var first = await ChildServer.StartKestrelAsync(serverDirectory, options.DataRoot, options.ServerEnvironment);
        var nodes = new List<ChildServer> { first };
        var clients = new List<LoadClient>();
        try
        {
            for (var i = 1; i < options.Nodes; i++) nodes.Add(await ChildServer.StartNodeAsync(first, serverDirectory, options.DataRoot));
            clients.AddRange(nodes.Select(n => new LoadClient(n.BaseUrl, n.Token, singles)));
            var share = Math.Max(1, options.Concurrency / nodes.Count);
            await Task.WhenAll(clients.Select(c => c.RunClosedAsync(share, TimeSpan.FromSeconds(options.Warmup))));

            // Every answer came after its commit, so once the last answer is in, its rows are all there.
            var before = first.CountRows("events");
            var windows = new List<ServerWindow>();
            foreach (var node in nodes) windows.Add(await ServerWindow.StartAsync(node));
            var results = await Task.WhenAll(clients.Select(c => c.RunClosedAsync(share, TimeSpan.FromSeconds(options.Seconds))));
            foreach (var window in windows) await window.StopAsync();
            var processed = first.CountRows("events") - before;
            var wall = results.Max(r => r.WallSeconds);

            m[$"{name}: processed events/s"] = processed / wall;
            var all = new LoadResult(results.Sum(r => r.Ok), results.Sum(r => r.NotOk), results.Sum(r => r.Failed), results.Sum(r => r.Skipped),
                [.. results.SelectMany(r => r.LatenciesMs)], wall);
            m[$"{name}: p50 ms"] = all.Percentile(50);
            m[$"{name}: p99 ms"] = all.Percentile(99);
            m[$"{name}: non-200 answers"] = all.NotOk + all.Failed;
            var cores = 0.0;
            for (var i = 0; i < nodes.Count; i++)
            {
                var node = $"{name}, node {i + 1}";
                m[$"{node}: accepted events/s"] = results[i].OkPerSecond;
                windows[i].Report(m, node, results[i].Ok, "event");
                cores += m[$"{node}: server CPU, cores"];
            }
            m[$"{name}: server CPU µs per event, all nodes"] = processed == 0 ? double.NaN : cores * wall * 1e6 / processed;
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
            foreach (var node in nodes.Skip(1)) await node.DisposeAsync(); // before the first, which drops the database
        }
    }
}
