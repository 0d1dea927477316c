using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.SourceMaps;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Scale;

/// <summary>
/// Several Kestrel nodes on one PostgreSQL database behind a real nginx running deploy/nginx/kestrel.conf (PRODUCT §13):
/// users, SDKs and scripts see one Kestrel, whichever node answers, and a node may die.
/// </summary>
[Trait("Engine", "both")] // PostgreSQL by nature: it picks its engine itself
public sealed class MultiNodeTests
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task The_same_new_error_sent_through_nginx_to_two_nodes_at_once_is_one_issue_with_an_exact_count()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var project = await cluster.CreateProjectAsync();
        const int perNode = 40;
        var error = Events.Exception("StormError", "every request throws", function: "checkout", file: "app/storm.py");

        // Straight at each node, all at once, so both meet the new fingerprint together; then through nginx.
        await Task.WhenAll(cluster.Nodes.SelectMany(node => Enumerable.Range(0, perNode).Select(_ => cluster.PostOkAsync(node.Address, project.Token, error))));
        await Task.WhenAll(Enumerable.Range(0, perNode).Select(_ => cluster.PostOkAsync(cluster.Proxy.Address, project.Token, error)));

        foreach (var node in cluster.Nodes)
        {
            var issue = Assert.Single(await cluster.IssuesAsync(node, project.Token));
            Assert.Equal(3 * perNode, issue.GetProperty("eventCount").GetInt64());
        }
        var id = Assert.Single(await cluster.IssuesAsync(cluster.Nodes[0], project.Token)).GetProperty("id").GetInt64();
        var activity = (await cluster.GetJsonAsync(cluster.Nodes[1].Address, project.Token, $"/api/issues/{id}/activity?limit=100")).GetProperty("activity");
        Assert.Single(activity.EnumerateArray(), a => a.GetProperty("kind").GetString() == "created");
    }

    [Fact]
    public async Task Real_SDKs_send_through_nginx_and_every_node_shows_their_events()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var project = await cluster.CreateProjectAsync();
        var dsn = $"http://{project.PublicKey}@127.0.0.1:{cluster.Proxy.Address.Port}/{project.Id}";
        var node = await SentryClients.NodeAsync(dsn, "exception");
        Assert.True(node.ExitCode == 0, node.Stderr);
        var dotnet = await SentryClients.DotnetAsync(dsn, "exception");
        Assert.True(dotnet.ExitCode == 0, dotnet.Stderr);
        foreach (var each in cluster.Nodes)
            Assert.Equal(2, (await cluster.IssuesAsync(each, project.Token)).Sum(i => i.GetProperty("eventCount").GetInt64()));
    }

    /// <summary>
    /// A map of several megabytes, in one multipart request through nginx: more than nginx takes by default (1 MB), so
    /// this holds the shipped site's body limit and unbuffered upload to account. The event comes through nginx too, to
    /// whichever node, and every node shows it resolved.
    /// </summary>
    [Fact]
    public async Task A_map_of_megabytes_uploaded_through_nginx_resolves_events_sent_through_nginx_on_every_node()
    {
        using var build = new TempDirectory();
        var bundle = await NodeTools.BuildAppAsync(build.Path);
        var map = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(bundle + ".map"))!.AsObject();
        map["x_padding"] = new string('x', 3_000_000); // a field no map reader looks at; real maps grow by sourcesContent
        var bytes = Encoding.UTF8.GetBytes(map.ToJsonString());
        await using var cluster = await Cluster.StartAsync(2);
        var project = await cluster.CreateProjectAsync();

        using (var form = new MultipartFormDataContent())
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "file", "static/js/app.min.js.map");
            using var upload = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Proxy.Address, UploadClient.ReleasePath("1.0"))) { Content = form };
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", project.Token);
            using var http = new HttpClient();
            using var uploaded = await http.SendAsync(upload);
            Assert.True(uploaded.StatusCode == HttpStatusCode.Created, $"{(int)uploaded.StatusCode} {await uploaded.Content.ReadAsStringAsync()}\n{cluster.Proxy.ErrorLog}");
        }
        await cluster.PostOkAsync(cluster.Proxy.Address, project.Token, await NodeTools.ReportEventAsync(bundle, "1.0"));

        foreach (var node in cluster.Nodes)
        {
            var issue = Assert.Single(await cluster.IssuesAsync(node, project.Token));
            var events = await cluster.GetJsonAsync(node.Address, project.Token, $"/api/issues/{issue.GetProperty("id").GetInt64()}/events");
            var top = events.GetProperty("events")[0].GetProperty("event").Frames()[^1];
            Assert.Equal("validateOrder", top.GetProperty("function").GetString());
            Assert.Equal("release", top.GetProperty("data").GetProperty("resolved_with").GetString());
        }
    }

    [Fact]
    public async Task A_session_made_on_one_node_works_on_the_other()
    {
        await using var cluster = await Cluster.StartAsync(2);
        using var admin = await AdminHttp.SignInAsync(cluster.Nodes[0], Password);
        using var other = AdminHttp.Anonymous(cluster.Nodes[1]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/projects");
        request.Headers.Add("Cookie", $"kestrel_session={admin.SessionCookie}");
        using var page = await other.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_rotated_token_is_refused_by_every_node_within_two_seconds()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var project = await cluster.CreateProjectAsync();
        var rotated = await KestrelProcess.RunAsync(cluster.Nodes[0].DataDirectory, cluster.Environment, "project", "rotate-token", project.Slug, "--json");
        Assert.True(rotated.ExitCode == 0, rotated.Stderr);
        var newToken = rotated.Json.GetProperty("token").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(2);
        foreach (var node in cluster.Nodes)
        {
            HttpStatusCode status;
            while ((status = await cluster.PostAsync(node.Address, project.Token, Events.Message("old token"))) != HttpStatusCode.Unauthorized)
                Assert.True(DateTime.UtcNow < deadline, $"node {node.Address} still took the old token after 2 s ({status})");
            Assert.Equal(HttpStatusCode.OK, await cluster.PostAsync(node.Address, newToken, Events.Message("new token")));
        }
    }

    [Fact]
    public async Task A_node_killed_during_sustained_ingest_loses_nothing_it_acknowledged_and_the_other_keeps_serving()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var project = await cluster.CreateProjectAsync();
        var acknowledged = new ConcurrentBag<string>();
        var sent = 0;
        var killed = false;
        async Task Worker()
        {
            while (Interlocked.Increment(ref sent) <= 400)
            {
                var eventId = Guid.NewGuid().ToString("N");
                var body = Events.Exception("KillError", "a node dies", function: "serve", file: "app/kill.py").Replace("{", $"{{\"event_id\":\"{eventId}\",", StringComparison.Ordinal);
                try
                {
                    if (await cluster.PostAsync(cluster.Proxy.Address, project.Token, body) == HttpStatusCode.OK) acknowledged.Add(eventId);
                }
                catch (HttpRequestException) { /* in flight at the node that died: not acknowledged */ }
                if (acknowledged.Count >= 100 && !killed)
                {
                    killed = true;
                    await cluster.Nodes[0].KillAsync();
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Worker()));
        Assert.True(killed);
        Assert.True(acknowledged.Count >= 300, $"only {acknowledged.Count} of 400 events were acknowledged with one node left");

        var stored = await cluster.EventIdsAsync(cluster.Nodes[1], project.Token);
        Assert.Empty(acknowledged.Except(stored));
    }

    [Fact]
    public async Task PostgreSQL_stopped_during_ingest_gets_503s_then_the_node_recovers_without_a_restart_and_nothing_acknowledged_is_lost()
    {
        await using var database = await PostgresCluster.StartPrivateAsync();
        await using var cluster = await Cluster.StartAsync(1, await database.NewDatabaseAsync());
        var node = cluster.Nodes[0];
        var project = await cluster.CreateProjectAsync();
        var acknowledged = new List<string>();
        async Task<HttpStatusCode> Send()
        {
            var eventId = Guid.NewGuid().ToString("N");
            var body = Events.Message("while PostgreSQL restarts").Replace("{", $"{{\"event_id\":\"{eventId}\",", StringComparison.Ordinal);
            var status = await cluster.PostAsync(node.Address, project.Token, body);
            if (status == HttpStatusCode.OK) acknowledged.Add(eventId);
            return status;
        }
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, await Send());

        await database.StopServerAsync();
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/healthz")).StatusCode); // liveness never asks the database
        using (var notReady = await node.Http.GetAsync("/healthz/ready")) Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        for (var i = 0; i < 5; i++)
        {
            using var refused = await cluster.PostResponseAsync(node.Address, project.Token, Events.Message("database down"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter is not null, "a 503 while the database is down says when to retry");
        }

        await database.StartServerAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Send() != HttpStatusCode.OK)
            Assert.True(DateTime.UtcNow < deadline, "ingest did not recover within 30 s of PostgreSQL coming back");
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, await Send());
        using (var ready = await node.Http.GetAsync("/healthz/ready")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(acknowledged.Except(await cluster.EventIdsAsync(node, project.Token)));
        Assert.False(node.HasExited);
    }

    /// <summary>N nodes on one PostgreSQL database (a fresh one of the shared test cluster unless given), nginx in front.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly KestrelServer[] nodes;

        private Cluster(KestrelServer[] nodes, Nginx proxy, Dictionary<string, string> environment)
        {
            this.nodes = nodes;
            Proxy = proxy;
            Environment = environment;
        }

        public IReadOnlyList<KestrelServer> Nodes => nodes;
        public Nginx Proxy { get; }
        public Dictionary<string, string> Environment { get; }
        private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(60) };

        public static async Task<Cluster> StartAsync(int count, string? databaseUrl = null)
        {
            var environment = new Dictionary<string, string>
            {
                ["KESTREL_DATABASE_URL"] = databaseUrl ?? await PostgresCluster.CreateDatabaseAsync(),
                ["KESTREL_ADMIN_PASSWORD"] = Password,
                ["KESTREL_TRUSTED_PROXIES"] = "127.0.0.1",
                // Every request of these tests comes from one loopback client, more at once than one client may send.
                ["KESTREL_INGEST_MAX_REQUESTS_PER_CLIENT"] = "1000",
            };
            var started = new KestrelServer[count];
            for (var i = 0; i < count; i++) started[i] = await KestrelServer.StartAsync(environment);
            return new Cluster(started, await Nginx.StartAsync(started.Select(n => n.Address)), environment);
        }

        public Task<TestProject> CreateProjectAsync() => nodes[0].CreateProjectAsync("shop");

        public async Task<HttpStatusCode> PostAsync(Uri address, string token, string json)
        {
            using var response = await PostResponseAsync(address, token, json);
            return response.StatusCode;
        }

        public async Task PostOkAsync(Uri address, string token, string json)
        {
            using var response = await PostResponseAsync(address, token, json);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST at {address}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        public Task<HttpResponseMessage> PostResponseAsync(Uri address, string token, string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/api/events")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http.SendAsync(request);
        }

        public async Task<JsonElement> GetJsonAsync(Uri address, string token, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"GET {path} at {address}: {(int)response.StatusCode} {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }

        public async Task<JsonElement[]> IssuesAsync(KestrelServer node, string token) =>
            (await GetJsonAsync(node.Address, token, "/api/issues")).GetProperty("issues").EnumerateArray().ToArray();

        /// <summary>The event ids stored in every issue of the project, read page by page through <paramref name="node"/>.</summary>
        public async Task<HashSet<string>> EventIdsAsync(KestrelServer node, string token)
        {
            var ids = new HashSet<string>();
            foreach (var issue in await IssuesAsync(node, token))
            {
                string? cursor = null;
                do
                {
                    var path = $"/api/issues/{issue.GetProperty("id").GetInt64()}/events?limit=100" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
                    var page = await GetJsonAsync(node.Address, token, path);
                    foreach (var e in page.GetProperty("events").EnumerateArray()) ids.Add(e.GetProperty("id").GetString()!);
                    cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
                } while (cursor is not null);
            }
            return ids;
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await Proxy.DisposeAsync();
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}
