using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Tags;

/// <summary>The tags of one event, within the limits, and how many were dropped for breaking them.</summary>
public sealed record EventTagSet(IReadOnlyList<KeyValuePair<string, string>> Tags, int Dropped)
{
    public static readonly EventTagSet None = new([], 0);
}

/// <summary>
/// Step 022 of ingest: the tags an event yields (PRODUCT §15). The derived tags come first, read from
/// the event's fields and contexts the way Sentry derives them (with the request's User-Agent header
/// where an SDK sent no browser or os context); the event's own <c>tags</c> follow. A key appears
/// once: the first of that name wins. Tags over a limit are dropped and counted, never an error.
/// </summary>
public static class EventTags
{
    public const int MaxTags = 50;
    public const int MaxKeyLength = 32;
    public const int MaxValueLength = 200;

    public static EventTagSet Read(JsonElement root, string level)
    {
        var set = new Builder();
        set.Add("level", level);
        foreach (var name in (ReadOnlySpan<string>)["environment", "release", "dist", "server_name", "transaction"])
            set.Add(name, EventReader.String(root, name));

        var request = Object(root, "request");
        set.Add("url", WithoutQuery(EventReader.String(request, "url")));
        var contexts = Object(root, "contexts");
        var browser = Object(contexts, "browser");
        var os = Object(contexts, "os");
        // Each read once: every read of a string property makes a new string.
        var ownBrowser = EventReader.String(browser, "name");
        var ownOs = EventReader.String(os, "name");
        var agent = ownBrowser is null || ownOs is null ? UserAgent.Parse(Header(request, "User-Agent")) : null;

        var browserName = ownBrowser ?? agent?.BrowserName;
        var browserVersion = ownBrowser is null ? agent?.BrowserVersion : Major(EventReader.String(browser, "version"));
        set.Add("browser", Join(browserName, browserVersion));
        set.Add("browser.name", browserName);
        var osName = ownOs ?? agent?.OsName;
        var osVersion = ownOs is null ? agent?.OsVersion : EventReader.String(os, "version");
        set.Add("os", Join(osName, osVersion));
        set.Add("os.name", osName);
        var runtime = Object(contexts, "runtime");
        set.Add("runtime", Join(EventReader.String(runtime, "name"), EventReader.String(runtime, "version")));
        var device = Object(contexts, "device");
        set.Add("device", EventReader.String(device, "model") ?? EventReader.String(device, "family"));

        var mechanism = Object(RaisedException(root), "mechanism");
        var handled = mechanism.ValueKind == JsonValueKind.Object ? EventReader.Bool(mechanism, "handled") : null;
        set.Add("handled", handled switch { true => "yes", false => "no", null => null });
        set.Add("mechanism", EventReader.String(mechanism, "type"));
        set.Add("user", User(Object(root, "user")));

        if (root.TryGetProperty("tags", out var own)) set.AddOwn(own);
        return set.Build();
    }

    /// <summary>Sentry's user tag: the first present of id, username, email and IP address, with its prefix.</summary>
    private static string? User(JsonElement user)
    {
        foreach (var (field, prefix) in (ReadOnlySpan<(string, string)>)[("id", "id:"), ("username", "username:"), ("email", "email:"), ("ip_address", "ip:")])
            if (EventReader.String(user, field) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value)) return prefix + value.Trim();
        return null;
    }

    /// <summary>The exception that was raised: the last of <c>exception.values</c>.</summary>
    private static JsonElement RaisedException(JsonElement root)
    {
        if (!root.TryGetProperty("exception", out var exception) || EventReader.Values(exception) is not { } values) return default;
        JsonElement last = default;
        foreach (var value in values) last = value;
        return last;
    }

    private static JsonElement Object(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    /// <summary>A header from <c>request.headers</c>, an object or a list of [name, value] pairs, by name in any case.</summary>
    private static string? Header(JsonElement request, string name)
    {
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty("headers", out var headers)) return null;
        if (headers.ValueKind == JsonValueKind.Object)
        {
            foreach (var header in headers.EnumerateObject())
                if (NameIs(header, name)) return EventReader.AsString(header.Value);
        }
        else if (headers.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in headers.EnumerateArray())
                if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
                    && EventReader.AsString(pair[0]) is { } key && key.Equals(name, StringComparison.OrdinalIgnoreCase)) return EventReader.AsString(pair[1]);
        }
        return null;
    }

    /// <summary>A header's name in any case, compared as bytes when it has no escapes: no string for each header of every event.</summary>
    private static bool NameIs(JsonProperty header, string name)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(header);
        return raw.IndexOf((byte)'\\') < 0 ? System.Text.Ascii.EqualsIgnoreCase(raw, name) : header.Name.Equals(name, StringComparison.OrdinalIgnoreCase);
    }

    private static string? WithoutQuery(string? url) => url?.IndexOfAny(['?', '#']) is int cut and >= 0 ? url[..cut] : url;

    private static string? Major(string? version) => version?.IndexOf('.') is int dot and > 0 ? version[..dot] : version;

    private static string? Join(string? name, string? version) =>
        string.IsNullOrWhiteSpace(name) ? null : string.IsNullOrWhiteSpace(version) ? name : name.Trim() + " " + version.Trim();

    /// <summary>A key: 1 to 32 characters of letters, digits, <c>_ . : -</c>.</summary>
    public static bool IsKey(string key)
    {
        if (key.Length is 0 or > MaxKeyLength) return false;
        foreach (var c in key)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or ':' or '-')) return false;
        return true;
    }

    private sealed class Builder
    {
        private readonly List<KeyValuePair<string, string>> tags = new(24);
        private int dropped;

        public void Add(string key, string? value)
        {
            if (value is null) return;
            if (tags.Count >= MaxTags || !IsKey(key)) { dropped++; return; }
            foreach (var tag in tags)
                if (tag.Key == key) return; // an own tag named like a derived one: the derived value stands
            var trimmed = value.Trim();
            // Sentry refuses line breaks in tag values; an empty value says nothing.
            if (trimmed.Length is 0 or > MaxValueLength || HasControl(trimmed)) { dropped++; return; }
            tags.Add(new(key, trimmed));
        }

        public void AddOwn(JsonElement own)
        {
            if (own.ValueKind == JsonValueKind.Object)
                foreach (var tag in own.EnumerateObject()) Add(RepeatedStrings.NameOf(tag), EventReader.AsString(tag.Value) ?? Unusable(tag.Value));
            else if (own.ValueKind == JsonValueKind.Array)
                foreach (var pair in own.EnumerateArray())
                {
                    if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && EventReader.AsString(pair[0]) is { } key)
                        Add(key, EventReader.AsString(pair[1]) ?? Unusable(pair[1]));
                    else dropped++;
                }
        }

        // A tag whose value is an object, a list or null is dropped and counted like any tag over a limit.
        private string? Unusable(JsonElement value)
        {
            dropped++;
            return null;
        }

        public EventTagSet Build() => new(tags, dropped);

        // Both ranges in one search: two calls of ContainsAnyInRange allocated a char each per tag (2 % of what the server
        // allocated per single event).
        private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
            [.. Enumerable.Range(0x00, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c)]);

        /// <summary>What <see cref="char.IsControl(char)"/> finds (C0, DEL and C1), searched vectorised: it runs for every tag of every event.</summary>
        private static bool HasControl(string value) => value.AsSpan().ContainsAny(ControlCharacters);
    }
}
