using System.Text.Json;
using Dapper;
using Kestrel.Platform;

namespace Kestrel.Alerts;

public sealed record ProjectInfo(long Id, string Slug, string Name);

public sealed record IssueInfo(long Id, string Title, string Type, string Culprit, string Level, string Status, long EventCount,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string Url, long? UsersAffected = null);

/// <summary>What a digest stands for: how many held notifications, by trigger.</summary>
public sealed record DigestDetail(int Count, Dictionary<string, int> ByTrigger);

/// <summary>
/// One notification, before any target's format: the same facts for every channel kind. Its
/// <see cref="Headline"/> says what happened, to which issue, in which project and environment;
/// <see cref="Text"/> adds the link. Everything that came from an event is still raw here: each format escapes it.
/// </summary>
public sealed record AlertMessage(string DeliveryId, string Trigger, long? RuleId, string? RuleName, string ChannelName, ProjectInfo Project,
    IssueInfo? Issue, EventDetail? Event, DigestDetail? Digest, string Url)
{
    public string Headline => Trigger switch
    {
        "new_issue" => $"New issue in {Where}: {Issue!.Title}",
        "regression" => $"Regression in {Where}: {Issue!.Title}",
        "spike" => $"Spike in {Where}: {Issue!.Title} ({Event?.Threshold}+ events in {Event?.WindowMinutes} min)",
        "digest" => $"And {Digest!.Count} more {DigestWhat} in project {Project.Name}",
        _ => $"Test notification for channel {ChannelName} in project {Project.Name}: alerts reach this channel",
    };

    /// <summary>The one line chat previews and the webhook's <c>text</c> show.</summary>
    public string Text => $"{Headline} {Url}";

    private string Where => $"project {Project.Name}" + (Event?.Environment is { } env ? $" ({env})" : "");

    private string DigestWhat
    {
        get
        {
            if (Digest!.ByTrigger.Count == 1)
                return Digest.ByTrigger.Keys.First() switch { "new_issue" => "new issues", "regression" => "regressions", "spike" => "spikes", _ => "alerts" };
            return "alerts (" + string.Join(", ", Digest.ByTrigger.Select(p => $"{p.Value} {p.Key.Replace('_', ' ')}")) + ")";
        }
    }

    public DateTimeOffset Timestamp => Event is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs) : Issue?.LastSeen ?? DateTimeOffset.UnixEpoch;
}

/// <summary>Reads what a delivery's message needs, at the time it is sent (so counts are current).</summary>
public sealed class AlertMessages(Database database, KestrelOptions options, TimeProvider time)
{
    public AlertMessage? Build(AlertDelivery d, AlertChannel channel)
    {
        using var connection = database.Connect();
        var project = connection.QuerySingleOrDefault<ProjectInfo>("SELECT id AS Id, slug AS Slug, name AS Name FROM projects WHERE id = @id", new { id = d.ProjectId });
        if (project is null) return null;
        var rule = d.RuleId is { } ruleId ? connection.QuerySingleOrDefault<string>("SELECT name FROM alert_rules WHERE id = @ruleId", new { ruleId }) : null;
        var projectUrl = $"{options.PublicUrl}/projects/{Uri.EscapeDataString(project.Slug)}/issues";
        var now = time.GetUtcNow();
        switch (d.Trigger)
        {
            case "digest":
                var digest = JsonSerializer.Deserialize<DigestDetail>(d.Detail!, EventDetail.Json)!;
                return new AlertMessage(d.Id, d.Trigger, null, null, channel.Name, project, null, null, digest, projectUrl + "?status=open&sort=first_seen");
            case "test":
                // A test goes through the whole path with a stand-in issue, so every field a receiver checks is there.
                var sample = new IssueInfo(0, "Test notification from Kestrel", "Test", "kestrel alerts test", "info", "open", 0, now, now, projectUrl);
                var testEvent = new EventDetail(new string('0', 32), null, null, now.ToUnixTimeMilliseconds(), "info");
                return new AlertMessage(d.Id, d.Trigger, null, null, channel.Name, project, sample, testEvent, null, projectUrl);
        }
        var row = connection.QuerySingleOrDefault<(long Id, string Title, string Type, string Culprit, string Level, string Status, long EventCount, long FirstSeen, long LastSeen, long UsersAffected)>(
            "SELECT id, title, type, culprit, level, status, event_count, first_seen, last_seen, users_affected FROM issues WHERE id = @id AND project_id = @projectId",
            new { id = d.IssueId, projectId = d.ProjectId });
        if (row.Id == 0) return null;
        var url = $"{projectUrl}/{row.Id}";
        var issue = new IssueInfo(row.Id, row.Title, row.Type, row.Culprit, row.Level, row.Status, row.EventCount,
            DateTimeOffset.FromUnixTimeMilliseconds(row.FirstSeen), DateTimeOffset.FromUnixTimeMilliseconds(row.LastSeen), url, row.UsersAffected);
        var detail = d.Detail is null ? null : JsonSerializer.Deserialize<EventDetail>(d.Detail, EventDetail.Json);
        return new AlertMessage(d.Id, d.Trigger, d.RuleId, rule, channel.Name, project, issue, detail, null, url);
    }
}
