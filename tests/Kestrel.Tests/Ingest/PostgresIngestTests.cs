using System.Net;
using Dapper;
using Kestrel.Platform;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.Ingest;

/// <summary>
/// Ingest through real <c>kestrel serve</c> processes on one PostgreSQL database (issue 16 §2): nodes that meet on the same
/// new error agree on one issue, and a node whose database connection is taken away recovers by itself. What the nodes
/// wrote is read straight from the database, the one truth they share.
/// </summary>
[Trait("Engine", "both")] // PostgreSQL by nature (two nodes, the server's own view of connections): it picks its engine itself
public sealed class PostgresIngestTests
{
    private static string EventWithId(string eventId, string json) => json.Replace("{", $"{{\"event_id\":\"{eventId}\",", StringComparison.Ordinal);

    private static NpgsqlConnection Open(string url)
    {
        var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(url));
        connection.Open();
        return connection;
    }

    /// <summary>
    /// A new-issue rule on one webhook channel, written straight into the database as the alerts API stores it; the
    /// outbox row per channel is what "fires" means.
    /// </summary>
    private static long AddNewIssueRule(string url, TestProject project)
    {
        using var connection = Open(url);
        var channelId = connection.ExecuteScalar<long>(
            "INSERT INTO alert_channels (project_id, name, kind, url, created_at) VALUES (@Id, 'hook', 'webhook', 'http://127.0.0.1:9/', 0) RETURNING id", project);
        var ruleId = connection.ExecuteScalar<long>(
            "INSERT INTO alert_rules (project_id, name, trigger, created_at) VALUES (@Id, 'new', 'new_issue', 0) RETURNING id", project);
        connection.Execute("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES (@ruleId, @channelId)", new { ruleId, channelId });
        return ruleId;
    }

    [Fact]
    public async Task The_same_new_error_sent_to_two_nodes_at_once_makes_one_issue_one_created_entry_and_one_new_issue_alert()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        // Each node takes all of this test's requests at once from one loopback address.
        var environment = new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url, ["KESTREL_INGEST_MAX_REQUESTS_PER_CLIENT"] = "500" };
        await using var first = await KestrelServer.StartAsync(environment);
        await using var second = await KestrelServer.StartAsync(environment);
        var project = await first.CreateProjectAsync("race");
        var ruleId = AddNewIssueRule(url, project);

        const int perNode = 60;
        var error = Events.Exception("RaceError", "both nodes see it first", function: "checkout", file: "app/race.py");
        var ids = Enumerable.Range(0, 2 * perNode).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        var sends = ids.Select((id, n) => (n % 2 == 0 ? project : project with { Server = second }).PostEventAsync(EventWithId(id, error)));
        foreach (var response in await Task.WhenAll(sends))
            using (response) Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");

        using var check = Open(url);
        var issue = check.QuerySingle<(long Id, long EventCount)>("SELECT id, event_count FROM issues");
        Assert.Equal(2 * perNode, issue.EventCount);
        Assert.Equal(ids.Order(), check.Query<string>("SELECT event_id FROM events WHERE issue_id = @Id ORDER BY event_id", new { issue.Id }));
        Assert.Equal(2 * perNode, check.ExecuteScalar<long>("SELECT CAST(sum(count) AS BIGINT) FROM issue_hourly WHERE issue_id = @Id", new { issue.Id }));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM issue_activity WHERE issue_id = @Id AND kind = 'created'", new { issue.Id }));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT count(*) FROM alert_deliveries WHERE rule_id = @ruleId AND trigger = 'new_issue'", new { ruleId }));
    }

    [Fact]
    public async Task An_alert_rule_made_through_another_node_fires_on_this_one_within_seconds()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        await using var node = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url });
        var project = await node.CreateProjectAsync("rules");
        await project.IngestAsync(Events.Exception("BeforeTheRule", "the writer reads the project's rules: none yet"));

        var ruleId = AddNewIssueRule(url, project); // as another node's alerts API would: this node's writer never hears of it

        using var check = Open(url);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (var n = 0; check.ExecuteScalar<long>("SELECT count(*) FROM alert_deliveries WHERE rule_id = @ruleId", new { ruleId }) == 0; n++)
        {
            Assert.True(DateTime.UtcNow < deadline, "a new issue 10 s after the rule was made elsewhere still fired nothing");
            await project.IngestAsync(Events.Exception($"AfterTheRule{n}", "a new issue each time"));
        }
    }

    [Fact]
    public async Task A_node_whose_writer_connection_is_killed_answers_503_at_most_once_then_stores_again_and_loses_nothing()
    {
        var url = await PostgresCluster.CreateDatabaseAsync();
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_DATABASE_URL"] = url });
        var project = await server.CreateProjectAsync("killed");
        var acknowledged = new List<string>();
        async Task<HttpResponseMessage> Send()
        {
            var id = Guid.NewGuid().ToString("N");
            var response = await project.PostEventAsync(EventWithId(id, Events.Exception("KilledError", "the writer's connection goes")));
            if (response.StatusCode == HttpStatusCode.OK) acknowledged.Add(id);
            return response;
        }
        for (var i = 0; i < 5; i++) using (var ok = await Send()) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var admin = Open(url);
        const string WriterPid = "SELECT pid FROM pg_stat_activity WHERE application_name = @name AND datname = current_database()";
        var pid = admin.QuerySingle<int>(WriterPid, new { name = Database.WriterApplicationName });
        Assert.True(admin.ExecuteScalar<bool>("SELECT pg_terminate_backend(@pid)", new { pid }));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (admin.ExecuteScalar<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", new { pid }) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "PostgreSQL did not end the writer's backend");
            await Task.Delay(50);
        }

        using (var next = await Send())
        {
            // The writer finds its connection gone only when it uses it: that request may fail, and says when to retry.
            Assert.Contains(next.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            if (next.StatusCode == HttpStatusCode.ServiceUnavailable) Assert.NotNull(next.Headers.RetryAfter);
        }
        for (var i = 0; i < 5; i++) using (var ok = await Send()) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        Assert.Equal(acknowledged.Order(), admin.Query<string>("SELECT event_id FROM events ORDER BY event_id"));
        Assert.Equal(acknowledged.Count, admin.ExecuteScalar<long>("SELECT event_count FROM issues"));
        Assert.NotEqual(pid, admin.QuerySingle<int>(WriterPid, new { name = Database.WriterApplicationName }));
    }
}
