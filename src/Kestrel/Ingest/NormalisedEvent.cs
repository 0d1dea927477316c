namespace Kestrel.Ingest;

/// <summary>
/// One stack frame as grouping reads it: an in-app frame, or the innermost kept frame of its exception (the only frames
/// grouping names, in its key and the culprit). Library frames are not made into objects at all: most frames of a deep
/// stack are library code, and their strings and objects were a fifth of what ingest allocated per event. Only what
/// grouping reads is kept: <see cref="File"/> is the frame's <c>filename</c>, else its <c>abs_path</c>, else its
/// <c>module</c>. What is stored and shown is the event's JSON, which keeps every frame whole.
/// </summary>
public sealed record StackFrame(string? Function, string? File, bool? InApp);

/// <summary>
/// What the source-map check at ingest needs of an exception's kept frames, library frames included: the most that any
/// one frame has. A frame may be minified script when it has a line and a column (both at least 1) and either the event
/// is JavaScript or its file (<c>abs_path</c>, else <c>filename</c>) looks like a script.
/// </summary>
public enum FrameScripts
{
    None,
    /// <summary>A frame has a line and a column: minified script if the event's platform is JavaScript.</summary>
    Positioned,
    /// <summary>A frame has a line, a column and a file that looks like a script, whatever the platform.</summary>
    PositionedInScriptFile,
}

/// <summary>The rule of <see cref="FrameScripts"/>, for both readers of frames (<see cref="ExceptionReader"/> and the source maps' <c>ResolvedExceptions</c>).</summary>
public static class FrameScriptRule
{
    /// <summary>A frame's <see cref="FrameScripts"/>; <paramref name="looksLikeScript"/> is asked of its file only when it has a line and a column.</summary>
    public static FrameScripts Of<TFile>(int? line, int? column, TFile file, Func<TFile, bool> looksLikeScript) =>
        line is not >= 1 || column is not >= 1 ? FrameScripts.None
        : looksLikeScript(file) ? FrameScripts.PositionedInScriptFile
        : FrameScripts.Positioned;

    /// <summary>The most of two: what an exception's frames have together.</summary>
    public static FrameScripts Most(FrameScripts a, FrameScripts b) => a > b ? a : b;
}

/// <summary>
/// One exception of an event. <see cref="Frames"/> run caller first and hold the in-app frames and the innermost kept
/// frame (<see cref="StackFrame"/> says why not the others), so the last frame raised it.
/// </summary>
public sealed record ExceptionValue(string? Type, string? Value, string? Module, bool Synthetic, IReadOnlyList<StackFrame> Frames)
{
    public FrameScripts Scripts { get; init; }
}

/// <summary>
/// An event after normalisation: the fields Kestrel reasons about, plus <see cref="Payload"/>, the
/// event re-written in one canonical JSON shape with every limit applied (what is stored and shown).
/// </summary>
public sealed record NormalisedEvent
{
    public required string EventId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string Level { get; init; }
    public string? Platform { get; init; }
    /// <summary>The message as shown: logentry.formatted, else the message template.</summary>
    public string? Message { get; init; }
    /// <summary>The message before parameters were filled in (logentry.message), for grouping.</summary>
    public string? MessageTemplate { get; init; }
    /// <summary>Oldest first: the last one is the exception that was raised.</summary>
    public IReadOnlyList<ExceptionValue> Exceptions { get; init; } = [];
    public IReadOnlyList<string>? Fingerprint { get; init; }
    public string? Transaction { get; init; }
    /// <summary>The event's <c>release</c>: source maps are looked up in it.</summary>
    public string? Release { get; init; }
    public string? Environment { get; init; }

    /// <summary>
    /// The canonical JSON. The normaliser makes only <see cref="CompressedPayload"/> (from its own buffer, so an event's
    /// JSON is not copied once more per request); this is expanded from it when something reads it again (source maps).
    /// </summary>
    public byte[] Payload
    {
        get => payload ??= StoredPayload.Decompress(compressed!.Memory);
        init => (payload, compressed) = (value, null);
    }

    /// <summary>
    /// The canonical JSON as <c>events.payload</c> stores it (<see cref="StoredPayload"/>), in a pooled array that the
    /// request gives back after storing (<see cref="PooledPayload"/>); set <see cref="Payload"/> instead to replace the JSON.
    /// </summary>
    public PooledPayload CompressedPayload
    {
        get => compressed ??= StoredPayload.Compress(payload!);
        init => (compressed, payload) = (value, null);
    }

    /// <summary>
    /// Gives back this event's pooled payload once <paramref name="successor"/>, made from it (<c>with</c>) to replace it,
    /// no longer holds the same one: a source map replaced the JSON. Nothing reads this event afterwards.
    /// </summary>
    internal void ReturnPayloadReplacedBy(NormalisedEvent successor)
    {
        if (compressed is { } mine && !ReferenceEquals(successor.compressed, mine)) mine.Return();
    }

    private byte[]? payload;
    private PooledPayload? compressed;
}
