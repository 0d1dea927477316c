using System.Text.Json.Nodes;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Slack (and Mattermost) incoming webhooks: <c>text</c> is the complete one-line summary (notifications
/// and clients without blocks show it), <c>blocks</c> the same with facts and a link. Limits: a section's
/// text 3000 characters, a context element's 2000, at most 10 context elements.
/// </summary>
public static class SlackFormat
{
    public static JsonObject Body(AlertMessage m)
    {
        var headline = Escape.Fit(m.Headline, Escape.Slack, 2500);
        var link = $"<{m.Url}|{Facts.LinkTitle(m)}>";
        var facts = Facts.Of(m).Take(10)
            .Select(f => (JsonNode)new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{f.Name}:* {Escape.Fit(f.Value, Escape.Slack, 1000)}" });
        return new JsonObject
        {
            ["text"] = $"{headline} {m.Url}",
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{headline}*\n{link}" } },
                new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(facts.ToArray()) }),
        };
    }
}
