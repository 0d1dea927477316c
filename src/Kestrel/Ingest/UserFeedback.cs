using System.Text.Json;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// What a user wrote about an error: a legacy <c>user_report</c> item (<c>{event_id, name, email, comments}</c>)
/// or a <c>feedback</c> item (an event whose <c>contexts.feedback</c> holds <c>message, name, contact_email,
/// url, associated_event_id</c>). Kept only with the event it is about.
/// </summary>
public sealed record UserFeedback(string EventId, string Name, string Email, string Comments, string Url)
{
    /// <summary>Most reports kept per event; later ones are dropped.</summary>
    public const int MaxPerEvent = 100;
    private const int MaxNameLength = 128;
    private const int MaxCommentsLength = 4096;
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = IngestLimits.MaxJsonDepth };

    /// <summary>Reads either item type; null when the payload is not readable or names no event.</summary>
    public static UserFeedback? Read(string itemType, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > IngestLimits.MaxEventBytes || !System.Text.Unicode.Utf8.IsValid(payload)) return null;
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), ParseOptions);
            var root = document.RootElement;
            if (itemType == "user_report")
                return Create(EventReader.String(root, "event_id"), EventReader.String(root, "name"),
                    EventReader.String(root, "email"), EventReader.String(root, "comments"), null);
            if (!root.TryGetProperty("contexts", out var contexts) || contexts.ValueKind != JsonValueKind.Object
                || !contexts.TryGetProperty("feedback", out var feedback) || feedback.ValueKind != JsonValueKind.Object)
                return null;
            return Create(EventReader.String(feedback, "associated_event_id"), EventReader.String(feedback, "name"),
                EventReader.String(feedback, "contact_email"), EventReader.String(feedback, "message"), EventReader.String(feedback, "url"));
        }
        // Not JSON, or a string holding half a surrogate pair: feedback is optional, so it is dropped.
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return null; }
    }

    private static UserFeedback? Create(string? eventId, string? name, string? email, string? comments, string? url)
    {
        if (EventReader.EventId(eventId) is not { } id || string.IsNullOrWhiteSpace(comments)) return null;
        return new UserFeedback(id, Cut(name, MaxNameLength), Cut(email, MaxNameLength), Cut(comments, MaxCommentsLength), Cut(url, IngestLimits.MaxTagLength * 10));
    }

    private static string Cut(string? text, int max) => EventNormaliser.Truncate(text?.Trim() ?? "", max);
}

/// <summary>
/// Stores feedback next to its event; feedback about an event this project does not have, and reports
/// past <see cref="UserFeedback.MaxPerEvent"/> for one event, are dropped.
/// </summary>
public sealed class UserFeedbackStore(DatabaseWriter writer)
{
    private const string InsertSql = """
        INSERT INTO user_feedback (project_id, event_id, name, email, comments, url, received_at)
        SELECT @project, @event_id, @name, @email, @comments, @url, @received
        WHERE EXISTS (SELECT 1 FROM events WHERE project_id = @project AND event_id = @event_id)
          AND (SELECT count(*) FROM user_feedback WHERE project_id = @project AND event_id = @event_id) < @max
        """;

    /// <returns>how many were kept</returns>
    public Task<int> StoreAsync(long projectId, IReadOnlyList<UserFeedback> feedback, long receivedAtMs, CancellationToken cancellationToken) =>
        writer.WriteAsync(session =>
        {
            var insert = session.Command(InsertSql, "@project", "@event_id", "@name", "@email", "@comments", "@url", "@received", "@max");
            var kept = 0;
            foreach (var f in feedback)
            {
                insert.Parameters[0].Value = projectId;
                insert.Parameters[1].Value = f.EventId;
                insert.Parameters[2].Value = f.Name;
                insert.Parameters[3].Value = f.Email;
                insert.Parameters[4].Value = f.Comments;
                insert.Parameters[5].Value = f.Url;
                insert.Parameters[6].Value = receivedAtMs;
                insert.Parameters[7].Value = UserFeedback.MaxPerEvent;
                kept += insert.ExecuteNonQuery();
            }
            return kept;
        }, cancellationToken);
}
