using System.Text.Json.Nodes;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Discord webhooks: <c>content</c> (at most 2000 characters) and one embed (title 256, description 4096,
/// 25 fields of name 256 and value 1024, 6000 characters in all). <c>allowed_mentions</c> with an
/// empty parse list makes Discord ping no one, whatever the text says.
/// </summary>
public static class DiscordFormat
{
    private static readonly Dictionary<string, int> Colours = new()
    {
        ["new_issue"] = 0xE5484D, ["regression"] = 0xF76B15, ["spike"] = 0xFFB224, ["digest"] = 0x8E8C99, ["test"] = 0x3E63DD,
    };

    public static JsonObject Body(AlertMessage m)
    {
        var headline = Escape.Fit(m.Headline, Escape.Markdown, 1600);
        // 1600 + 8 fields of at most 400 + a title of 250 stays under the 6000 characters of an embed.
        var fields = Facts.Of(m).Take(8).Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["value"] = Escape.Fit(f.Value, Escape.Markdown, 400),
            ["inline"] = f.Name != "Culprit",
        });
        var embed = new JsonObject
        {
            ["title"] = Escape.Fit(m.Issue?.Title ?? m.Headline, Escape.Markdown, 250),
            ["url"] = m.Url,
            ["description"] = headline,
            ["color"] = Colours.GetValueOrDefault(m.Trigger, 0x8E8C99),
            ["fields"] = new JsonArray(fields.ToArray()),
            ["timestamp"] = m.Timestamp.ToString("o"),
        };
        return new JsonObject
        {
            ["content"] = $"{headline} {m.Url}",
            ["embeds"] = new JsonArray(embed),
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        };
    }
}
