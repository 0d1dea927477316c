using System.Text.Json;
using MimeKit;

namespace Kestrel.Alerts;

/// <summary>A channel's fields before they are stored: what a request set, over what was stored (PATCH).</summary>
public sealed record ChannelDraft(string? Name, string? Kind, string? Url, string? Secret, IReadOnlyList<string>? To)
{
    // A stored webhook-kind channel reads back with no recipients ([]); only an email channel has a to to keep.
    public static ChannelDraft From(AlertChannel c) => new(c.Name, c.Kind, c.Url, c.Secret, c.Kind == "email" ? c.To : null);
}

public sealed record RuleDraft(string? Name, string? Trigger, IReadOnlyList<long>? ChannelIds, int? Threshold, int? WindowMinutes,
    string? Level, string? Environment, int CooldownMinutes = 60, bool Enabled = true)
{
    public static RuleDraft From(AlertRule r) =>
        new(r.Name, r.Trigger, r.ChannelIds, r.Threshold, r.WindowMinutes, r.Level, r.Environment, r.CooldownMinutes, r.Enabled);
}

/// <summary>
/// Reads channel and rule bodies (snake_case JSON, the same for the API and the web forms) and checks
/// them. Every problem is one sentence that starts with the field's name; unknown fields are refused.
/// </summary>
public static class AlertInput
{
    public const int MaxName = 100;
    public const int MaxUrl = 2000;
    public const int MaxRecipients = 20;

    private static readonly string[] ChannelFields = ["name", "kind", "url", "secret", "to"];
    private static readonly string[] RuleFields = ["name", "trigger", "channel_ids", "threshold", "window_minutes", "level", "environment", "cooldown_minutes", "enabled"];

    public static (ChannelDraft? Draft, string? Error) Channel(JsonElement body, ChannelDraft start)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, "The body must be a JSON object such as {\"name\": \"ops\", \"kind\": \"slack\", \"url\": \"https://...\"}.");
        var draft = start;
        foreach (var p in body.EnumerateObject())
        {
            if (!ChannelFields.Contains(p.Name)) return (null, $"{p.Name} is not a field of a channel (use {string.Join(", ", ChannelFields)}).");
            var v = p.Value;
            switch (p.Name)
            {
                case "name": if (!TryText(v, out var name)) return (null, "name must be a string."); draft = draft with { Name = name }; break;
                case "kind": if (!TryText(v, out var kind)) return (null, "kind must be a string."); draft = draft with { Kind = kind }; break;
                case "url": if (!TryText(v, out var url)) return (null, "url must be a string."); draft = draft with { Url = url }; break;
                case "secret": if (!TryText(v, out var secret)) return (null, "secret must be a string or null."); draft = draft with { Secret = secret }; break;
                case "to":
                    if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
                        return (null, "to must be a list of e-mail addresses.");
                    draft = draft with { To = v.EnumerateArray().Select(a => a.GetString()!.Trim()).ToList() };
                    break;
            }
        }
        return Check(draft, start.Kind);
    }

    private static (ChannelDraft?, string?) Check(ChannelDraft d, string? storedKind)
    {
        if (string.IsNullOrWhiteSpace(d.Name) || d.Name.Length > MaxName) return (null, $"name must be 1 to {MaxName} characters.");
        if (d.Kind is null || !AlertKinds.Channels.Contains(d.Kind)) return (null, $"kind must be one of {string.Join(", ", AlertKinds.Channels)}.");
        if (storedKind is not null && d.Kind != storedKind) return (null, "kind cannot be changed; make a new channel instead.");
        if (d.Kind == "email")
        {
            if (d.Url is not null) return (null, "url is for the webhook kinds; an email channel takes to.");
            if (d.Secret is not null) return (null, "secret is only for webhook channels.");
            if (d.To is null || d.To.Count is 0 or > MaxRecipients) return (null, $"to must list 1 to {MaxRecipients} e-mail addresses.");
            foreach (var address in d.To)
                if (!IsMailbox(address)) return (null, $"to: '{Shorten(address)}' is not an e-mail address.");
            return (d with { Name = d.Name.Trim() }, null);
        }
        if (d.To is not null) return (null, "to is only for email channels.");
        if (d.Secret is not null && d.Kind != "webhook") return (null, "secret is only for webhook channels.");
        if (d.Secret is { Length: < 8 or > 200 }) return (null, "secret must be 8 to 200 characters.");
        if (d.Url is null) return (null, "url is required for a " + d.Kind + " channel.");
        if (d.Url.Length > MaxUrl || !Uri.TryCreate(d.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            return (null, "url must be an absolute http:// or https:// URL.");
        return (d with { Name = d.Name.Trim(), To = [] }, null);
    }

    public static (RuleDraft? Draft, string? Error) Rule(JsonElement body, RuleDraft start)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, "The body must be a JSON object such as {\"name\": \"new\", \"trigger\": \"new_issue\", \"channel_ids\": [1]}.");
        var d = start;
        foreach (var p in body.EnumerateObject())
        {
            if (!RuleFields.Contains(p.Name)) return (null, $"{p.Name} is not a field of a rule (use {string.Join(", ", RuleFields)}).");
            var v = p.Value;
            switch (p.Name)
            {
                case "name": if (!TryText(v, out var name)) return (null, "name must be a string."); d = d with { Name = name }; break;
                case "trigger": if (!TryText(v, out var trigger)) return (null, "trigger must be a string."); d = d with { Trigger = trigger }; break;
                case "level": if (!TryText(v, out var level)) return (null, "level must be a string or null."); d = d with { Level = level }; break;
                case "environment": if (!TryText(v, out var environment)) return (null, "environment must be a string or null."); d = d with { Environment = environment }; break;
                case "threshold": if (!TryNumber(v, out var threshold)) return (null, "threshold must be a whole number."); d = d with { Threshold = threshold }; break;
                case "window_minutes": if (!TryNumber(v, out var window)) return (null, "window_minutes must be a whole number."); d = d with { WindowMinutes = window }; break;
                case "cooldown_minutes":
                    if (!TryNumber(v, out var cooldown) || cooldown is null) return (null, "cooldown_minutes must be a whole number from 0 to 43200.");
                    d = d with { CooldownMinutes = cooldown.Value };
                    break;
                case "enabled":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return (null, "enabled must be true or false.");
                    d = d with { Enabled = v.GetBoolean() };
                    break;
                case "channel_ids":
                    if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out _)))
                        return (null, "channel_ids must be a list of channel ids.");
                    d = d with { ChannelIds = v.EnumerateArray().Select(a => a.GetInt64()).Distinct().ToList() };
                    break;
            }
        }
        return Check(d);
    }

    private static (RuleDraft?, string?) Check(RuleDraft d)
    {
        if (string.IsNullOrWhiteSpace(d.Name) || d.Name.Length > MaxName) return (null, $"name must be 1 to {MaxName} characters.");
        if (d.Trigger is null || !AlertKinds.Triggers.Contains(d.Trigger)) return (null, $"trigger must be one of {string.Join(", ", AlertKinds.Triggers)}.");
        if (d.ChannelIds is null || d.ChannelIds.Count is 0 or > 20) return (null, "channel_ids must name 1 to 20 channels of this project.");
        if (d.Trigger == "spike")
        {
            if (d.Threshold is not (>= 1 and <= 100_000)) return (null, "threshold must be a whole number from 1 to 100000 for a spike rule.");
            if (d.WindowMinutes is not (>= 1 and <= 1440)) return (null, "window_minutes must be a whole number from 1 to 1440 for a spike rule.");
        }
        else if (d.Threshold is not null || d.WindowMinutes is not null) return (null, "threshold and window_minutes are only for spike rules.");
        if (d.Level is not null && !AlertKinds.Levels.Contains(d.Level)) return (null, $"level must be one of {string.Join(", ", AlertKinds.Levels)}.");
        if (d.Environment is { Length: 0 or > 200 }) return (null, "environment must be 1 to 200 characters.");
        if (d.CooldownMinutes is < 0 or > 43_200) return (null, "cooldown_minutes must be a whole number from 0 to 43200.");
        return (d with { Name = d.Name.Trim() }, null);
    }

    private static bool TryText(JsonElement v, out string? text)
    {
        text = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return v.ValueKind is JsonValueKind.String or JsonValueKind.Null;
    }

    private static bool TryNumber(JsonElement v, out int? number)
    {
        number = null;
        if (v.ValueKind == JsonValueKind.Null) return true;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) { number = n; return true; }
        return false;
    }

    public static bool IsMailbox(string text) =>
        text.Length is > 2 and <= 254 && !text.Any(char.IsControl) && MailboxAddress.TryParse(text, out var m) && m.Address == text && text.Contains('@');

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
