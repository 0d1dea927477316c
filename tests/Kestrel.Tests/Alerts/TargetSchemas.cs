using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kestrel.Tests.Alerts;

/// <summary>
/// What each target documents for an incoming message: the required fields, their types and the size
/// limits (Slack Block Kit, Discord's execute-webhook, Teams Workflows with Adaptive Card 1.4, Google
/// Chat cardsV2, and Kestrel's own webhook v1 from docs/alerts.md). Every check here is the target's rule,
/// written from its documentation, not from Kestrel's code.
/// </summary>
public static class TargetSchemas
{
    public static void Check(string kind, Received r, string? secret = null)
    {
        Assert.StartsWith("application/json", r.Header("Content-Type"));
        Assert.StartsWith("Kestrel/", r.Header("User-Agent"));
        Assert.True(Guid.TryParse(r.DeliveryId, out _), "X-Kestrel-Delivery is a UUID: " + r.DeliveryId);
        Assert.Matches("^[0-9]{10}$", r.Header("X-Kestrel-Timestamp"));
        var json = r.Json;
        switch (kind)
        {
            case "webhook": Webhook(json, r, secret); break;
            case "slack": Slack(json, r.Body.Length); break;
            case "discord": Discord(json); break;
            case "teams": Teams(json, r.Body.Length); break;
            case "googlechat": GoogleChat(json, r.Body.Length); break;
            default: throw new ArgumentException(kind);
        }
    }

    /// <summary>Every string value in the message, decoded, wherever it sits.</summary>
    public static IEnumerable<string> Strings(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => [e.GetString()!],
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Strings),
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Strings(p.Value)),
        _ => [],
    };

    private static string Str(JsonElement e, string name)
    {
        Assert.True(e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String, $"'{name}' is a string in {e}");
        return v.GetString()!;
    }

    private static JsonElement Arr(JsonElement e, string name, int max)
    {
        Assert.True(e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array, $"'{name}' is an array");
        Assert.InRange(v.GetArrayLength(), 0, max);
        return v;
    }

    private static void Webhook(JsonElement j, Received r, string? secret)
    {
        Assert.Equal(1, j.GetProperty("version").GetInt32());
        var trigger = Str(j, "trigger");
        Assert.Contains(trigger, new[] { "new_issue", "regression", "spike", "test", "digest" });
        var project = j.GetProperty("project");
        Assert.True(project.GetProperty("id").GetInt64() > 0);
        Str(project, "slug"); Str(project, "name");
        if (trigger is "new_issue" or "regression" or "spike")
        {
            var rule = j.GetProperty("rule");
            rule.GetProperty("id").GetInt64(); Str(rule, "name");
        }
        if (trigger != "digest")
        {
            var issue = j.GetProperty("issue");
            issue.GetProperty("id").GetInt64();
            foreach (var f in new[] { "title", "type", "culprit", "level", "status", "firstSeen", "lastSeen", "url" }) Str(issue, f);
            issue.GetProperty("eventCount").GetInt64();
            Assert.StartsWith("http", Str(issue, "url"));
            var e = j.GetProperty("event");
            Str(e, "id"); Str(e, "timestamp");
        }
        else Assert.True(j.GetProperty("digest").GetProperty("count").GetInt32() > 0);
        var text = Str(j, "text");
        Assert.DoesNotContain('\n', text);
        var timestamp = r.Header("X-Kestrel-Timestamp");
        if (secret is null) { Assert.Equal("", r.Header("X-Kestrel-Signature")); return; }
        // The check docs/alerts.md gives receivers: HMAC-SHA256 over "timestamp.body" with the secret.
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(r.Body).ToArray());
        Assert.Equal("sha256=" + Convert.ToHexStringLower(mac), r.Header("X-Kestrel-Signature"));
    }

    /// <summary>Slack: text (truncated by Slack past 40,000), at most 50 blocks, section text 3000, context 10 elements of 2000.</summary>
    private static void Slack(JsonElement j, int bytes)
    {
        var text = Str(j, "text");
        Assert.InRange(text.Length, 1, 40_000);
        Assert.DoesNotContain('\n', text);
        foreach (var block in Arr(j, "blocks", 50).EnumerateArray())
        {
            var type = Str(block, "type");
            Assert.Contains(type, new[] { "section", "context", "header", "divider", "actions" });
            if (type == "section") Assert.InRange(Str(block.GetProperty("text"), "text").Length, 1, 3000);
            if (type == "context")
                foreach (var element in Arr(block, "elements", 10).EnumerateArray()) Assert.InRange(Str(element, "text").Length, 1, 2000);
        }
    }

    /// <summary>Discord: content 2000, 10 embeds of title 256, description 4096, 25 fields (256/1024), 6000 characters each in all.</summary>
    private static void Discord(JsonElement j)
    {
        Assert.InRange(Str(j, "content").Length, 1, 2000);
        Assert.Equal(0, Arr(j.GetProperty("allowed_mentions"), "parse", 0).GetArrayLength());
        foreach (var embed in Arr(j, "embeds", 10).EnumerateArray())
        {
            var total = 0;
            var title = Str(embed, "title"); Assert.InRange(title.Length, 1, 256); total += title.Length;
            var description = Str(embed, "description"); Assert.InRange(description.Length, 0, 4096); total += description.Length;
            foreach (var field in Arr(embed, "fields", 25).EnumerateArray())
            {
                var name = Str(field, "name"); var value = Str(field, "value");
                Assert.InRange(name.Length, 1, 256); Assert.InRange(value.Length, 1, 1024);
                total += name.Length + value.Length;
            }
            Assert.InRange(total, 1, 6000);
            Assert.InRange(embed.GetProperty("color").GetInt32(), 0, 0xFFFFFF);
        }
    }

    /// <summary>Teams Workflows: a message with an Adaptive Card 1.4 attachment, under 28 KB.</summary>
    private static void Teams(JsonElement j, int bytes)
    {
        Assert.InRange(bytes, 1, 28 * 1024);
        Assert.Equal("message", Str(j, "type"));
        var attachment = Arr(j, "attachments", 1)[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", Str(attachment, "contentType"));
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", Str(card, "type"));
        Assert.Equal("1.4", Str(card, "version"));
        foreach (var element in Arr(card, "body", 100).EnumerateArray())
        {
            var type = Str(element, "type");
            Assert.Contains(type, new[] { "TextBlock", "FactSet", "ColumnSet", "Container" });
            if (type == "TextBlock") Str(element, "text");
            if (type == "FactSet") foreach (var fact in Arr(element, "facts", 100).EnumerateArray()) { Str(fact, "title"); Str(fact, "value"); }
        }
        foreach (var action in Arr(card, "actions", 6).EnumerateArray())
        {
            Assert.Equal("Action.OpenUrl", Str(action, "type"));
            Assert.StartsWith("http", Str(action, "url"));
        }
    }

    /// <summary>Google Chat: text at most 4096 characters, cardsV2 with cardId and card.sections; a message at most 32,000 bytes.</summary>
    private static void GoogleChat(JsonElement j, int bytes)
    {
        Assert.InRange(bytes, 1, 32_000);
        Assert.InRange(Str(j, "text").Length, 1, 4096);
        foreach (var card in Arr(j, "cardsV2", 1).EnumerateArray())
        {
            Str(card, "cardId");
            var c = card.GetProperty("card");
            Str(c.GetProperty("header"), "title");
            foreach (var section in Arr(c, "sections", 100).EnumerateArray())
                foreach (var widget in Arr(section, "widgets", 100).EnumerateArray())
                    Assert.True(widget.TryGetProperty("decoratedText", out _) || widget.TryGetProperty("buttonList", out _) || widget.TryGetProperty("textParagraph", out _));
        }
    }
}
