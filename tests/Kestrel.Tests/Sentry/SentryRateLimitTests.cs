using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kestrel.Tests.Support;
using Sentry;

namespace Kestrel.Tests.Sentry;

/// <summary>
/// KESTREL_RATE_LIMIT_PER_MINUTE=2: a project may send two events, then one more every 30 s. Over the
/// limit, every ingest endpoint answers 429 with Retry-After and X-Sentry-Rate-Limits, and the real
/// .NET SDK then stops sending on its own.
/// </summary>
public sealed partial class SentryRateLimitTests
{
    private static readonly Dictionary<string, string> Limited = new()
    {
        ["KESTREL_RATE_LIMIT_PER_MINUTE"] = "2",
        ["KESTREL_METRICS_TOKEN"] = "metrics-token-0123456789",
    };

    private static string Event(int n) => JsonSerializer.Serialize(new { message = $"limited {n}" });

    private static void AssertRateLimited(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = response.Header("Retry-After");
        Assert.InRange(int.Parse(retryAfter), 1, 30);
        Assert.Equal($"{retryAfter}::project:rate_limited", response.Header("X-Sentry-Rate-Limits"));
        Assert.Contains("limit of events per minute", response.Header("X-Sentry-Error"));
    }

    [Fact]
    public async Task Every_ingest_endpoint_answers_429_with_sentry_rate_limit_headers()
    {
        await using var server = await KestrelServer.StartAsync(Limited);
        var project = await server.CreateProjectAsync();
        for (var i = 0; i < 2; i++)
        {
            using var accepted = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(Event(i)));
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        using (var envelope = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(Event(3))))
        {
            AssertRateLimited(envelope);
            Assert.Equal("*", envelope.Header("Access-Control-Allow-Origin"));
        }
        using (var request = project.EnvelopeRequest(Encoding.UTF8.GetBytes(Event(4)), "store").WithSentryAuth(project.PublicKey))
        using (var store = await server.Http.SendAsync(request))
            AssertRateLimited(store);
        using (var own = await project.PostEventAsync(Event(5)))
            AssertRateLimited(own);

        // Envelopes without events (sessions, client reports) are never limited.
        using var session = await project.PostEnvelopeAsync("{}\n{\"type\":\"session\"}\n{\"status\":\"ok\"}\n");
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        Assert.Equal(2, (await project.IssuesAsync()).Sum(i => i.GetProperty("eventCount").GetInt64()));
    }

    [Fact]
    public async Task The_dotnet_sdk_stops_sending_for_the_advertised_time()
    {
        await using var server = await KestrelServer.StartAsync(Limited);
        var project = await server.CreateProjectAsync();
        using var client = new SentryClient(new SentryOptions { Dsn = project.Dsn(), AutoSessionTracking = false, SendClientReports = false });

        for (var i = 1; i <= 3; i++) client.CaptureMessage($"sdk event {i}");
        await client.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((2, 1), await CountsAsync(server));

        // Within the advised 30 s the SDK drops events itself: nothing more reaches the server.
        for (var i = 4; i <= 6; i++) client.CaptureMessage($"sdk event {i}");
        await client.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((2, 1), await CountsAsync(server));
    }

    /// <summary>Events accepted and requests refused by the rate limit, from /metrics.</summary>
    private static async Task<(long Accepted, long RateLimited)> CountsAsync(KestrelServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new("Bearer", Limited["KESTREL_METRICS_TOKEN"]);
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        long Read(Regex pattern) => pattern.Match(text) is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;
        return (Read(AcceptedLine()), Read(RateLimitedLine()));
    }

    [GeneratedRegex(@"^kestrel_ingest_events_accepted_total (\d+)$", RegexOptions.Multiline)]
    private static partial Regex AcceptedLine();

    [GeneratedRegex(@"^kestrel_ingest_rejected_total\{reason=""rate_limited""\} (\d+)$", RegexOptions.Multiline)]
    private static partial Regex RateLimitedLine();
}
