using System.Net;
using System.Net.Http.Headers;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Health;

public sealed class HealthAndMetricsTests
{
    [Fact]
    public async Task Health_and_readiness_answer_without_credentials()
    {
        await using var server = await KestrelServer.StartAsync();
        Assert.Equal("ok", await server.Http.GetStringAsync("/healthz"));
        Assert.Equal("ready", await server.Http.GetStringAsync("/healthz/ready"));
    }

    [Fact]
    public async Task Metrics_need_the_metrics_token_and_report_gauges_and_counters()
    {
        const string token = "metrics-token-0123456789";
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_METRICS_TOKEN"] = token });
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("MetricError", "a"));
        await project.IngestAsync(Events.Exception("MetricError", "a"));
        using (await project.PostEventAsync("{broken")) { }
        using (await project.PostEventAsync(Events.Message("x"), token: "kst_" + new string('B', 43))) { }

        using (var anonymous = await server.Http.GetAsync("/metrics")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        foreach (var wrong in (string[])[token + "x", token[..^1], "", project.Token])
        {
            using var wrongRequest = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            wrongRequest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + wrong);
            using var refused = await server.Http.SendAsync(wrongRequest);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Authorization", "bearer " + token); // the scheme is case-insensitive
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Matches(@"kestrel_info\{version=""[^""]+"",commit=""[^""]+""\} 1", text);
        Assert.Contains("kestrel_uptime_seconds ", text);
        Assert.Contains("kestrel_projects_total 1\n", text);
        Assert.Contains("kestrel_issues_total{status=\"open\"} 1\n", text);
        Assert.Contains("kestrel_issues_total{status=\"resolved\"} 0\n", text);
        Assert.Contains("kestrel_events_total 2\n", text);
        Assert.Contains("kestrel_events_24h 2\n", text);
        Assert.Contains("kestrel_ingest_events_accepted_total 2\n", text);
        Assert.Contains("kestrel_ingest_rejected_total{reason=\"malformed_json\"} 1\n", text);
        Assert.Contains("kestrel_ingest_rejected_total{reason=\"unauthorized\"} 1\n", text);
    }

    [Fact]
    public async Task Managed_allocation_and_gc_counters_exist_and_allocation_grows_with_ingest()
    {
        const string token = "metrics-token-0123456789";
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_METRICS_TOKEN"] = token });
        var project = await server.CreateProjectAsync();
        async Task<string> ScrapeAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        static double Value(string text, string series) =>
            double.Parse(System.Text.RegularExpressions.Regex.Match(text, "^" + System.Text.RegularExpressions.Regex.Escape(series) + " (\\S+)$",
                System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        var before = await ScrapeAsync();
        Assert.Contains("# TYPE kestrel_managed_allocated_bytes_total counter\n", before);
        Assert.Contains("# TYPE kestrel_gc_pause_seconds_total counter\n", before);
        Assert.True(Value(before, "kestrel_gc_pause_seconds_total") >= 0);
        foreach (var generation in (string[])["0", "1", "2"])
            Assert.True(Value(before, $"kestrel_gc_collections_total{{generation=\"{generation}\"}}") >= 0);

        // Reading, parsing and storing an event allocates far more than a kilobyte of managed memory.
        const int events = 20;
        for (var i = 0; i < events; i++) await project.IngestAsync(Events.Exception("AllocationError", $"event {i}"));
        var after = await ScrapeAsync();
        var allocated = Value(after, "kestrel_managed_allocated_bytes_total") - Value(before, "kestrel_managed_allocated_bytes_total");
        Assert.True(allocated > events * 1024, $"allocated {allocated} bytes for {events} events");
        Assert.True(Value(after, "kestrel_gc_pause_seconds_total") >= Value(before, "kestrel_gc_pause_seconds_total"));
        // Twenty committed events took the writer some time inside its transactions (each paid an fsync).
        Assert.True(Value(after, "kestrel_writer_busy_seconds_total") > Value(before, "kestrel_writer_busy_seconds_total"));
        // One node alone never conflicts with another node's writer.
        Assert.Equal(0, Value(after, "kestrel_writer_conflict_retries_total"));
    }

    [Fact]
    public async Task Metrics_are_404_when_no_token_is_configured()
    {
        await using var server = await KestrelServer.StartAsync();
        using var response = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_rate_limit_answers_429_with_retry_after()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_RATE_LIMIT_PER_MINUTE"] = "3" });
        var project = await server.CreateProjectAsync();
        // More events in one request than the whole minute allows: refused whatever the window.
        using var limited = await project.PostEventAsync("[" + string.Join(',', Enumerable.Repeat(Events.Message("m"), 4)) + "]");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta?.TotalSeconds is > 0 and <= 60);
        Assert.Empty(await project.IssuesAsync());
        using (var three = await project.PostEventAsync("[" + string.Join(',', Enumerable.Repeat(Events.Message("m"), 3)) + "]"))
            Assert.Equal(HttpStatusCode.OK, three.StatusCode);
        Assert.Equal(3, Assert.Single(await project.IssuesAsync()).GetProperty("eventCount").GetInt64());
    }
}
