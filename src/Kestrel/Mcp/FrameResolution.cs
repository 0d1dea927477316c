using System.Text.Json;

namespace Kestrel.Mcp;

/// <summary>
/// The display-time step of <c>get_error</c> that may replace an exception's stored frames, before they
/// are trimmed and shown: source-map resolution of events stored before their map arrived (PRODUCT §7)
/// plugs in here. It gets the whole stored event for its release and debug IDs, and the exception's
/// frames in stored order (outermost first) with <see cref="ErrorFrame.AbsPath"/> and columns.
/// </summary>
public delegate IReadOnlyList<ErrorFrame> FrameResolution(long projectId, JsonElement storedEvent, IReadOnlyList<ErrorFrame> frames);

public static class FrameResolutions
{
    /// <summary>Frames as they were stored (already resolved at ingest where a map was there).</summary>
    public static readonly FrameResolution AsStored = (_, _, frames) => frames;
}
