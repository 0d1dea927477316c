using Kestrel.Grouping;
using Kestrel.Tags;

namespace Kestrel.Ingest;

/// <summary>
/// An event ready for the writer: grouped, its payload compressed, and only what storing needs.
/// The normalised event with its frames and uncompressed JSON is left behind as young garbage, so
/// requests waiting for the writer hold about a third of the memory per event. <see cref="StoredPayload"/> is in a
/// pooled array: <see cref="IngestService.StoreAsync"/> gives it back once the writer is done with the event.
/// </summary>
public sealed record PreparedEvent(string EventId, long OccurredAtMs, string Level, GroupingResult Group, PooledPayload StoredPayload)
{
    /// <summary>The event's tags (PRODUCT §15), counted per issue by the writer.</summary>
    public EventTagSet Tags { get; init; } = EventTagSet.None;

    /// <summary>Alert rules filter on it and notifications name it.</summary>
    public string? Environment { get; init; }

    /// <summary>The event's release: whether it reopens a resolved issue depends on it; notifications name it.</summary>
    public string? Release { get; init; }

    public static PreparedEvent From(NormalisedEvent e, EventTagSet? tags = null) =>
        new(e.EventId, e.Timestamp.ToUnixTimeMilliseconds(), e.Level, GroupingV1.Group(e), e.CompressedPayload)
        {
            Tags = tags ?? EventTagSet.None,
            Environment = e.Environment,
            Release = e.Release,
        };
}
