using System.Text.Json;

namespace Kestrel.Alerts;

/// <summary>
/// Creating and changing channels and rules, as the API (JSON bodies) and the web forms (turned into the same
/// bodies by <see cref="Pages.AlertForms"/>) both do it: one set of checks, one wording, and nothing written
/// unless every check passed.
/// </summary>
public sealed class AlertChanges(AlertStore store, AlertTesting testing, TimeProvider time)
{
    /// <summary>The outcome of a change: the saved value, or the sentence saying what is wrong, or neither when the id is not this project's.</summary>
    public sealed record Outcome<T>(T? Saved, string? Error) where T : class
    {
        public bool NotFound => Saved is null && Error is null;
    }

    public async Task<Outcome<AlertChannel>> CreateChannelAsync(long projectId, JsonElement body, CancellationToken ct)
    {
        var (draft, error) = AlertInput.Channel(body, new ChannelDraft(null, null, null, null, null));
        error ??= await testing.TargetProblemAsync(draft, ct);
        return error is not null ? new(null, error) : new(await store.CreateChannelAsync(projectId, draft!, Now()), null);
    }

    /// <summary>A PATCH: the fields of <paramref name="body"/> over the stored channel.</summary>
    public async Task<Outcome<AlertChannel>> UpdateChannelAsync(long projectId, long channelId, JsonElement body, CancellationToken ct)
    {
        if (store.Channel(projectId, channelId) is not { } stored) return new(null, null);
        var (draft, error) = AlertInput.Channel(body, ChannelDraft.From(stored));
        error ??= await testing.TargetProblemAsync(draft, ct);
        if (error is not null) return new(null, error);
        return await store.UpdateChannelAsync(projectId, channelId, draft!) ? new(store.Channel(projectId, channelId), null) : new(null, null);
    }

    public async Task<Outcome<AlertRule>> CreateRuleAsync(long projectId, JsonElement body)
    {
        var (draft, error) = AlertInput.Rule(body, new RuleDraft(null, null, null, null, null, null, null));
        if (error is not null) return new(null, error);
        var (rule, problem) = await store.SaveRuleAsync(projectId, null, draft!, Now());
        return new(rule, problem);
    }

    /// <summary>A PATCH: the fields of <paramref name="body"/> over the stored rule.</summary>
    public async Task<Outcome<AlertRule>> UpdateRuleAsync(long projectId, long ruleId, JsonElement body)
    {
        if (store.Rule(projectId, ruleId) is not { } stored) return new(null, null);
        var (draft, error) = AlertInput.Rule(body, RuleDraft.From(stored));
        if (error is not null) return new(null, error);
        var (rule, problem) = await store.SaveRuleAsync(projectId, ruleId, draft!, Now());
        return new(rule, problem);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
