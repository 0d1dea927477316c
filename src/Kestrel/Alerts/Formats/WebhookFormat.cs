using System.Text.Json;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// Kestrel's own JSON, version 1 (docs/alerts.md). The values are the raw strings, escaped only as JSON:
/// the receiver is a program, and it decides how to show them.
/// </summary>
public static class WebhookFormat
{
    public const int Version = 1;

    public static byte[] Body(AlertMessage m)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteString("trigger", m.Trigger);
            if (m.RuleId is { } ruleId)
            {
                w.WriteStartObject("rule");
                w.WriteNumber("id", ruleId);
                w.WriteString("name", m.RuleName);
                w.WriteEndObject();
            }
            else w.WriteNull("rule");
            w.WriteStartObject("project");
            w.WriteNumber("id", m.Project.Id);
            w.WriteString("slug", m.Project.Slug);
            w.WriteString("name", m.Project.Name);
            w.WriteEndObject();
            if (m.Issue is { } i)
            {
                w.WriteStartObject("issue");
                w.WriteNumber("id", i.Id);
                w.WriteString("title", i.Title);
                w.WriteString("type", i.Type);
                w.WriteString("culprit", i.Culprit);
                w.WriteString("level", i.Level);
                w.WriteString("status", i.Status);
                w.WriteNumber("eventCount", i.EventCount);
                if (i.UsersAffected is { } users) w.WriteNumber("usersAffected", users);
                w.WriteString("firstSeen", i.FirstSeen);
                w.WriteString("lastSeen", i.LastSeen);
                w.WriteString("url", i.Url);
                w.WriteEndObject();
            }
            if (m.Event is { } e)
            {
                w.WriteStartObject("event");
                w.WriteString("id", e.Id);
                if (e.Release is not null) w.WriteString("release", e.Release);
                if (e.Environment is not null) w.WriteString("environment", e.Environment);
                w.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs));
                w.WriteEndObject();
            }
            if (m.Digest is { } d)
            {
                w.WriteStartObject("digest");
                w.WriteNumber("count", d.Count);
                w.WriteStartObject("byTrigger");
                foreach (var (trigger, n) in d.ByTrigger) w.WriteNumber(trigger, n);
                w.WriteEndObject();
                w.WriteString("url", m.Url);
                w.WriteEndObject();
            }
            w.WriteString("text", Escape.OneLine(m.Text));
            w.WriteEndObject();
        }
        return stream.ToArray();
    }
}
