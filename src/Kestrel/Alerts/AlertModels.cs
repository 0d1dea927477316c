namespace Kestrel.Alerts;

/// <summary>The kinds of channel and what each needs (PRODUCT.md §14).</summary>
public static class AlertKinds
{
    public static readonly string[] Channels = ["webhook", "slack", "discord", "teams", "googlechat", "email"];
    public static readonly string[] Triggers = ["new_issue", "regression", "spike"];
    /// <summary>Lowest first; a rule's level is a minimum.</summary>
    public static readonly string[] Levels = ["debug", "info", "warning", "error", "fatal"];

    public static bool SendsHttp(string kind) => kind != "email";

    public static bool LevelAtLeast(string level, string? minimum) =>
        minimum is null || Array.IndexOf(Levels, level) >= Array.IndexOf(Levels, minimum);
}

/// <summary>A channel as stored; <see cref="Secret"/> never leaves the server after creation.</summary>
public sealed record AlertChannel(long Id, long ProjectId, string Name, string Kind, string? Url, string? Secret, IReadOnlyList<string> To,
    string? LastError, long? LastErrorAt, long CreatedAt);

public sealed record AlertRule(long Id, long ProjectId, string Name, string Trigger, int? Threshold, int? WindowMinutes, string? Level,
    string? Environment, int CooldownMinutes, bool Enabled, IReadOnlyList<long> ChannelIds, long CreatedAt);

/// <summary>A row of the outbox.</summary>
public sealed record AlertDelivery(string Id, long ProjectId, long? RuleId, long ChannelId, long? IssueId, string Trigger, string? Detail,
    string Status, long Held, string? DigestId, long Attempts, long? HttpStatus, string? Error, long CreatedAt, long? NextAttemptAt, long? DeliveredAt);

/// <summary>A channel as the API answers: the secret only as <see cref="HasSecret"/>.</summary>
public sealed record ChannelView(long Id, string Name, string Kind, string? Url, IReadOnlyList<string>? To, bool HasSecret, string? LastError,
    DateTimeOffset? LastErrorAt, DateTimeOffset CreatedAt)
{
    public static ChannelView From(AlertChannel c) => new(c.Id, c.Name, c.Kind, c.Url, c.Kind == "email" ? c.To : null, c.Secret is not null,
        c.LastError, c.LastErrorAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, DateTimeOffset.FromUnixTimeMilliseconds(c.CreatedAt));
}

public sealed record RuleView(long Id, string Name, string Trigger, IReadOnlyList<long> ChannelIds, int? Threshold, int? WindowMinutes,
    string? Level, string? Environment, int CooldownMinutes, bool Enabled, DateTimeOffset CreatedAt)
{
    public static RuleView From(AlertRule r) => new(r.Id, r.Name, r.Trigger, r.ChannelIds, r.Threshold, r.WindowMinutes, r.Level, r.Environment,
        r.CooldownMinutes, r.Enabled, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt));
}

public sealed record DeliveryView(string Id, long? RuleId, long ChannelId, long? IssueId, string Trigger, string Status, int Attempts,
    int? HttpStatus, string? Error, string? DigestId, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt)
{
    public static DeliveryView From(AlertDelivery d) => new(d.Id, d.RuleId, d.ChannelId, d.IssueId, d.Trigger, d.Status, (int)d.Attempts, (int?)d.HttpStatus,
        d.Error, d.DigestId, DateTimeOffset.FromUnixTimeMilliseconds(d.CreatedAt),
        d.Status == "pending" && d.NextAttemptAt is { } next ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null,
        d.DeliveredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
}

public sealed record DeliveryPage(IReadOnlyList<DeliveryView> Deliveries, string? NextCursor);
