namespace Kestrel.Ingest;

/// <summary>
/// Step 015 for envelopes: picks out what Kestrel keeps. <c>event</c> items become events;
/// <c>user_report</c> and <c>feedback</c> become feedback on their event; every other type
/// (attachments, sessions, transactions, client reports and types not invented yet) is skipped.
/// </summary>
public static class EnvelopeItems
{
    public static (List<PreparedEvent> Events, List<UserFeedback> Feedback, Rejection? Rejection) Read(
        Envelope envelope, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt, Func<NormalisedEvent, NormalisedEvent>? resolveSourceMaps = null)
    {
        var events = new List<PreparedEvent>(1);
        var feedback = new List<UserFeedback>();
        foreach (var item in envelope.Items)
        {
            var payload = body.Slice(item.Offset, item.Length);
            switch (item.Type)
            {
                case "event":
                    if (events.Count == IngestLimits.MaxEventsPerRequest)
                        return (events, feedback, new Rejection(413, "too_many_events", $"An envelope may hold at most {IngestLimits.MaxEventsPerRequest} events."));
                    // The envelope header's event_id names the envelope's (one) event and wins over the payload's.
                    var eventId = events.Count == 0 ? envelope.EventId : null;
                    var (prepared, rejection) = IngestPipeline.PrepareOne(payload, receivedAt, eventId, "The event item ", resolveSourceMaps);
                    if (rejection is not null) return (events, feedback, rejection);
                    events.Add(prepared!);
                    break;
                case "user_report" or "feedback":
                    if (UserFeedback.Read(item.Type, payload.Span) is { } report) feedback.Add(report);
                    break;
            }
        }
        return (events, feedback, null);
    }
}
