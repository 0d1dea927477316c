using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kestrel.Alerts.Pages;

/// <summary>
/// The web forms of channels and rules, turned into the API's JSON bodies so that <see cref="AlertInput"/> checks
/// them with the API's words. A value the form cannot turn into a number or a flag is passed on as text, for
/// <see cref="AlertInput"/> to refuse by name ("threshold must be a whole number.").
/// </summary>
public static class AlertForms
{
    /// <summary>A new channel's body: name, kind and the target fields its kind takes.</summary>
    public static JsonElement NewChannel(IFormCollection form)
    {
        var body = new JsonObject { ["name"] = form["name"].ToString(), ["kind"] = form["kind"].ToString() };
        Target(form, form["kind"] == "email", body);
        if (form["secret"].ToString() is { Length: > 0 } secret) body["secret"] = secret;
        return Json(body);
    }

    /// <summary>
    /// An edited channel's body over the stored one. The secret is never shown back: an empty secret field keeps
    /// the stored one, a typed one replaces it, and "remove the secret" takes it away.
    /// </summary>
    /// <returns>the body, or a sentence naming secret when it was both typed and removed</returns>
    public static (JsonElement Body, string? Error) EditedChannel(IFormCollection form, AlertChannel stored)
    {
        var body = new JsonObject { ["name"] = form["name"].ToString() };
        Target(form, stored.Kind == "email", body);
        var secret = form["secret"].ToString();
        var remove = form["remove_secret"] == "true";
        if (remove && secret.Length > 0) return (default, "secret: type a new secret or remove the stored one, not both.");
        if (remove) body["secret"] = null;
        else if (secret.Length > 0) body["secret"] = secret;
        return (Json(body), null);
    }

    /// <summary>A rule's body, every field of the form set (empty ones to null), so that an edit replaces what it shows.</summary>
    /// <param name="withEnabled">the edit form has the enabled checkbox; a new rule starts enabled</param>
    public static JsonElement Rule(IFormCollection form, bool withEnabled)
    {
        var body = new JsonObject
        {
            ["name"] = form["name"].ToString(),
            ["trigger"] = form["trigger"].ToString(),
            ["channel_ids"] = new JsonArray(form["channel_ids"].Select(id => long.TryParse(id, out var n) ? (JsonNode)n : id).ToArray()),
        };
        foreach (var field in new[] { "threshold", "window_minutes" }) body[field] = Number(form[field].ToString());
        // An empty cooldown keeps what the rule has (60 minutes for a new one).
        if (Number(form["cooldown_minutes"].ToString()) is { } cooldown) body["cooldown_minutes"] = cooldown;
        foreach (var field in new[] { "level", "environment" })
            body[field] = form[field].ToString().Trim() is { Length: > 0 } text ? text : null;
        if (withEnabled) body["enabled"] = form["enabled"] == "true";
        return Json(body);
    }

    /// <summary>The body of the enable/disable toggle: only enabled.</summary>
    public static JsonElement Enabled(IFormCollection form) =>
        Json(new JsonObject { ["enabled"] = form["enabled"].ToString() switch { "true" => (JsonNode)true, "false" => (JsonNode)false, var other => (JsonNode)other } });

    private static void Target(IFormCollection form, bool email, JsonObject body)
    {
        if (email)
            body["to"] = new JsonArray(form["to"].ToString().Split([',', ' ', '\n', '\r', ';'], StringSplitOptions.RemoveEmptyEntries).Select(a => (JsonNode)a).ToArray());
        else body["url"] = form["url"].ToString();
    }

    private static JsonNode? Number(string text) =>
        text.Trim() is { Length: > 0 } trimmed ? int.TryParse(trimmed, out var n) ? (JsonNode)n : (JsonNode)trimmed : null;

    private static JsonElement Json(JsonObject body) => JsonDocument.Parse(body.ToJsonString()).RootElement;
}

/// <summary>What the channel edit form shows: the stored channel at first, what was sent after a refusal (never a secret).</summary>
public sealed record ChannelFormValues(string Name, string Url, string To, bool RemoveSecret)
{
    public static ChannelFormValues From(AlertChannel c) => new(c.Name, c.Url ?? "", string.Join(", ", c.To), false);

    public static ChannelFormValues From(IFormCollection form) =>
        new(form["name"].ToString(), form["url"].ToString(), form["to"].ToString(), form["remove_secret"] == "true");
}

/// <summary>What the rule edit form shows: the stored rule at first, what was sent after a refusal.</summary>
public sealed record RuleFormValues(string Name, string Trigger, string Threshold, string WindowMinutes, string Level, string Environment,
    string CooldownMinutes, IReadOnlySet<string> ChannelIds, bool Enabled)
{
    public static RuleFormValues From(AlertRule r) => new(r.Name, r.Trigger, r.Threshold?.ToString() ?? "", r.WindowMinutes?.ToString() ?? "",
        r.Level ?? "", r.Environment ?? "", r.CooldownMinutes.ToString(), r.ChannelIds.Select(id => id.ToString()).ToHashSet(), r.Enabled);

    public static RuleFormValues From(IFormCollection form) => new(form["name"].ToString(), form["trigger"].ToString(), form["threshold"].ToString(),
        form["window_minutes"].ToString(), form["level"].ToString(), form["environment"].ToString(), form["cooldown_minutes"].ToString(),
        form["channel_ids"].Select(id => id ?? "").ToHashSet(), form["enabled"] == "true");
}
