using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Kestrel.Bench;

/// <summary>
/// The alert configuration of the "alerts" mode, made through the REST API as a user would: a webhook and
/// a Slack channel, and a new-issue, a regression and a spike rule. Both channels point at port 9 on
/// loopback, where nothing listens: every attempt is refused at once, nothing leaves the machine, and the
/// dispatcher still does its whole job (outbox, flood guard, retries, log). The server needs
/// KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS=true (pass it with --env for both phases).
/// </summary>
public static class AlertsSetup
{
    public static async Task ConfigureAsync(ChildServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        var webhook = await CreateAsync(http, "/api/alerts/channels", new { name = "bench webhook", kind = "webhook", url = "http://127.0.0.1:9/hook", secret = "bench-secret" });
        var slack = await CreateAsync(http, "/api/alerts/channels", new { name = "bench slack", kind = "slack", url = "http://127.0.0.1:9/slack" });
        await CreateAsync(http, "/api/alerts/rules", new { name = "new", trigger = "new_issue", channel_ids = new[] { webhook, slack } });
        await CreateAsync(http, "/api/alerts/rules", new { name = "back", trigger = "regression", channel_ids = new[] { webhook } });
        await CreateAsync(http, "/api/alerts/rules", new { name = "busy", trigger = "spike", threshold = 100, window_minutes = 5, level = "error", channel_ids = new[] { slack } });
    }

    private static async Task<long> CreateAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
    }
}
