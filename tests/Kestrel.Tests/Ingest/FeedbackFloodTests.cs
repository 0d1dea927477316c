using System.Net;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Ingest;

/// <summary>
/// Issue 17 §3: envelopes of nothing but feedback reports were never rate-limited and had no cap per event:
/// after a project was refused with 429, three envelopes of 1,000 reports each stored 3,000 rows for one
/// event, and its events answered 20 MB. Reports now count against the rate limit, at most 100 are kept
/// per event, and the events API returns at most that many.
/// </summary>
public sealed class FeedbackFloodTests
{
    private const int ReportsPerEnvelope = 1000;
    private const string EventId = "6f1b7a7fd5a44e0c8a0f2d7b0f3b9c11";

    [Fact]
    public async Task Feedback_reports_count_against_the_rate_limit_and_at_most_100_are_kept_per_event()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_RATE_LIMIT_PER_MINUTE"] = "1500" });
        var project = await server.CreateProjectAsync();
        using (var stored = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(Events.Exception("FeedbackTarget", "x"), EventId)))
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);

        // The first thousand fit in the limit (1 + 1,000 of 1,500); the next two go past it.
        var statuses = new List<HttpStatusCode>();
        for (var n = 0; n < 3; n++)
        {
            using var response = await project.PostEnvelopeAsync(FeedbackEnvelope(n));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);

        using (var connection = server.OpenDatabase())
        {
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM user_feedback";
            Assert.Equal(100L, Convert.ToInt64(count.ExecuteScalar()));
        }

        var issueId = Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
        using var events = await project.SendAsync(HttpMethod.Get, $"/api/issues/{issueId}/events?limit=1");
        var answer = await events.Content.ReadAsByteArrayAsync();
        Assert.True(answer.Length < 1024 * 1024, $"the events answer is {answer.Length} bytes");
        using var json = JsonDocument.Parse(answer);
        Assert.Equal(100, json.RootElement.GetProperty("events")[0].GetProperty("feedback").GetArrayLength());
    }

    /// <summary>An envelope of nothing but user reports about one event, each with 4 KB of comments.</summary>
    private static string FeedbackEnvelope(int n)
    {
        var envelope = new StringBuilder("{}\n");
        var comments = new string('x', 4000);
        for (var i = 0; i < ReportsPerEnvelope; i++)
            envelope.Append("{\"type\":\"user_report\"}\n")
                .Append(JsonSerializer.Serialize(new { event_id = EventId, name = $"user {n}.{i}", email = "u@example.com", comments })).Append('\n');
        return envelope.ToString();
    }
}
