using System.Globalization;
using System.Text.Json;

namespace Kestrel.Issues.Pages;

public sealed record BreadcrumbDisplay(DateTime? At, string? Category, string? Level, string? Message, string? Data);

/// <summary>The parts of a stored event the issue page shows, read leniently: a field of the wrong shape is left out, never an error.</summary>
public sealed record EventDisplay(
    string? Message,
    IReadOnlyList<ExceptionDisplay> Exceptions,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    IReadOnlyList<(string Name, List<KeyValuePair<string, string>> Values)> Contexts,
    IReadOnlyList<KeyValuePair<string, string>> Request,
    IReadOnlyList<KeyValuePair<string, string>> User,
    IReadOnlyList<BreadcrumbDisplay> Breadcrumbs,
    IReadOnlyList<KeyValuePair<string, string>> Extra,
    string? Release, string? Environment, string? Platform, string? Sdk)
{
    public static EventDisplay From(JsonElement root)
    {
        var logentry = root.TryGetProperty("logentry", out var l) ? l : default;
        var contexts = root.TryGetProperty("contexts", out var c) && c.ValueKind == JsonValueKind.Object
            ? c.EnumerateObject().Select(p => (p.Name, JsonText.Pairs(p.Value))).Where(p => p.Item2.Count > 0).ToList() : []; // no heading over nothing ({} from Node)
        var sdk = root.TryGetProperty("sdk", out var s) ? string.Join(' ', new[] { JsonText.String(s, "name"), JsonText.String(s, "version") }.OfType<string>()) : null;
        return new EventDisplay(
            JsonText.String(logentry, "formatted") ?? JsonText.String(logentry, "message"),
            ExceptionDisplay.Chain(root),
            JsonText.Pairs(root, "tags"),
            contexts,
            JsonText.Pairs(root, "request"),
            JsonText.Pairs(root, "user"),
            JsonText.Values(root, "breadcrumbs").Where(b => b.ValueKind == JsonValueKind.Object).Select(Breadcrumb).ToList(),
            JsonText.Pairs(root, "extra"),
            JsonText.String(root, "release"), JsonText.String(root, "environment"), JsonText.String(root, "platform"),
            string.IsNullOrEmpty(sdk) ? null : sdk);
    }

    private static BreadcrumbDisplay Breadcrumb(JsonElement crumb)
    {
        DateTime? at = null;
        if (crumb.TryGetProperty("timestamp", out var ts))
        {
            if (ts.ValueKind == JsonValueKind.Number && ts.TryGetDouble(out var seconds) && seconds is > 0 and < 1e11)
                at = DateTime.UnixEpoch.AddSeconds(seconds);
            else if (ts.ValueKind == JsonValueKind.String && DateTime.TryParse(ts.GetString(), CultureInfo.InvariantCulture,
                         DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
                at = parsed;
        }
        return new BreadcrumbDisplay(at, JsonText.String(crumb, "category") ?? JsonText.String(crumb, "type"), JsonText.String(crumb, "level"),
            JsonText.String(crumb, "message"), crumb.TryGetProperty("data", out var data) ? JsonText.Of(data) : null);
    }
}
