using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>The alerts REST API as a user's script calls it, with the project's token.</summary>
public static class AlertApi
{
    /// <summary>Loopback receivers need private targets allowed; a small retry base makes the schedule run in seconds.</summary>
    public static Dictionary<string, string> Settings(double retryBase = 0.5, bool allowPrivate = true) => new()
    {
        ["KESTREL_ALERTS_ALLOW_PRIVATE_TARGETS"] = allowPrivate ? "true" : "false",
        ["KESTREL_ALERTS_RETRY_BASE_SECONDS"] = retryBase.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KESTREL_PUBLIC_URL"] = "https://kestrel.example.test",
    };

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestProject project, HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var response = await project.SendAsync(method, path, body is null ? null : JsonContent.Create(body), token);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<long> ChannelAsync(TestProject project, object body)
    {
        var (status, json) = await SendAsync(project, HttpMethod.Post, "/api/alerts/channels", body);
        Assert.True(status == HttpStatusCode.Created, $"{status} {json}");
        return json.GetProperty("id").GetInt64();
    }

    public static async Task<long> RuleAsync(TestProject project, object body)
    {
        var (status, json) = await SendAsync(project, HttpMethod.Post, "/api/alerts/rules", body);
        Assert.True(status == HttpStatusCode.Created, $"{status} {json}");
        return json.GetProperty("id").GetInt64();
    }

    /// <summary>The whole delivery log, newest first, page by page.</summary>
    public static async Task<JsonElement[]> DeliveriesAsync(TestProject project)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await project.GetJsonAsync("/api/alerts/deliveries?limit=200" + (cursor is null ? "" : "&cursor=" + cursor));
            all.AddRange(page.GetProperty("deliveries").EnumerateArray());
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        } while (cursor is not null);
        return all.ToArray();
    }

    /// <summary>Polls the delivery log until <paramref name="condition"/> holds; fails after <paramref name="seconds"/>.</summary>
    public static async Task<JsonElement[]> WaitForDeliveriesAsync(TestProject project, Func<JsonElement[], bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var all = await DeliveriesAsync(project);
            if (condition(all)) return all;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException("The delivery log never got there: " + string.Join("\n", all.Select(d => d.ToString())));
            await Task.Delay(100);
        }
    }

    /// <summary>An event with its own fingerprint, so each makes a new issue.</summary>
    public static string Event(string title, string level = "error", string? environment = "production", string? fingerprint = null, string? release = null,
        string? user = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["message"] = title,
            ["level"] = level,
            ["environment"] = environment,
            ["release"] = release,
            ["user"] = user is null ? null : new { id = user },
            ["fingerprint"] = new[] { fingerprint ?? title },
        }.Where(p => p.Value is not null).ToDictionary());
}
