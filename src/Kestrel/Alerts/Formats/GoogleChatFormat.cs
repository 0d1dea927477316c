using System.Text.Json.Nodes;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Google Chat space webhooks: <c>text</c> (the one-line summary, at most 4096 characters) and one card
/// in <c>cardsV2</c> with a header, the facts and a button. Card widget text is a small HTML subset,
/// so event text is HTML-escaped there; in <c>text</c>, angle brackets (mentions, links) are defused.
/// </summary>
public static class GoogleChatFormat
{
    public static JsonObject Body(AlertMessage m)
    {
        var widgets = Facts.Of(m).Select(f => (JsonNode)new JsonObject
        {
            ["decoratedText"] = new JsonObject { ["topLabel"] = f.Name, ["text"] = Escape.Fit(f.Value, Escape.ChatHtml, 600) },
        }).ToList();
        widgets.Add(new JsonObject
        {
            ["buttonList"] = new JsonObject
            {
                ["buttons"] = new JsonArray(new JsonObject
                {
                    ["text"] = Facts.LinkTitle(m),
                    ["onClick"] = new JsonObject { ["openLink"] = new JsonObject { ["url"] = m.Url } },
                }),
            },
        });
        var card = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["title"] = Escape.Fit(m.Headline, Escape.ChatHtml, 400),
                ["subtitle"] = Escape.Fit(m.Project.Name, Escape.ChatHtml, 200),
            },
            ["sections"] = new JsonArray(new JsonObject { ["widgets"] = new JsonArray(widgets.ToArray()) }),
        };
        return new JsonObject
        {
            ["text"] = $"{Escape.Fit(m.Headline, Escape.GoogleChatText, 3000)} {m.Url}",
            ["cardsV2"] = new JsonArray(new JsonObject { ["cardId"] = "kestrel-alert", ["card"] = card }),
        };
    }
}
