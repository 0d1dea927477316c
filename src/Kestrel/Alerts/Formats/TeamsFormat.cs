using System.Text.Json.Nodes;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Microsoft Teams Workflows webhooks ("Post to a channel when a webhook request is received"): a
/// <c>message</c> with one Adaptive Card 1.4 attachment, under Teams' 28 KB message limit. TextBlocks
/// render a markdown subset, so event text is escaped as markdown.
/// </summary>
public static class TeamsFormat
{
    public static JsonObject Body(AlertMessage m)
    {
        var facts = Facts.Of(m).Select(f => (JsonNode)new JsonObject
        {
            ["title"] = f.Name,
            ["value"] = Escape.Fit(f.Value, Escape.Markdown, 600),
        });
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "TextBlock", ["text"] = Escape.Fit(m.Headline, Escape.Markdown, 3000),
                    ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true,
                },
                new JsonObject { ["type"] = "FactSet", ["facts"] = new JsonArray(facts.ToArray()) }),
            ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = Facts.LinkTitle(m), ["url"] = m.Url }),
            ["msteams"] = new JsonObject { ["width"] = "Full" },
        };
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = card,
            }),
        };
    }
}
