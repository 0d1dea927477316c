using System.Buffers;

namespace Kestrel.Bench;

/// <summary>
/// Request bodies made before timing. Every send copies a body and writes fresh event ids into it:
/// Kestrel stores an event_id once, so a body sent twice unchanged would be answered 200 but not stored.
/// The ids are random, as SDKs make them (uuid4), so they land all over the event_id index, not at its end.
/// The copy costs the client about a microsecond per 5 KB and is the same for Kestrel and the ceiling.
/// </summary>
public sealed class BodySet
{
    private static readonly byte[] IdMarker = "\"event_id\":\""u8.ToArray();

    private readonly byte[][] bodies;
    private readonly int[][] idOffsets;
    private long nextBody;

    private BodySet(List<byte[]> bodies, int eventsPerBody, bool rewriteIds = true)
    {
        this.bodies = [.. bodies];
        idOffsets = rewriteIds ? [.. bodies.Select(FindIds)] : [.. bodies.Select(_ => Array.Empty<int>())];
        EventsPerBody = eventsPerBody;
        if (rewriteIds && idOffsets.Any(ids => ids.Length != eventsPerBody))
            throw new InvalidOperationException("Every event in a body needs exactly one event_id.");
    }

    public int EventsPerBody { get; }
    public int Count => bodies.Length;
    public double MeanBytes => bodies.Average(b => b.Length);

    /// <summary>One event per body.</summary>
    public static BodySet Singles(IReadOnlyList<byte[]> events) => new([.. events], 1);

    /// <summary><paramref name="count"/> JSON arrays of <paramref name="perArray"/> events taken in turn from <paramref name="events"/>.</summary>
    public static BodySet Arrays(IReadOnlyList<byte[]> events, int perArray, int count)
    {
        var bodies = new List<byte[]>(count);
        var next = 0;
        for (var b = 0; b < count; b++)
        {
            var body = new MemoryStream();
            body.WriteByte((byte)'[');
            for (var i = 0; i < perArray; i++)
            {
                if (i > 0) body.WriteByte((byte)',');
                body.Write(events[next++ % events.Count]);
            }
            body.WriteByte((byte)']');
            bodies.Add(body.ToArray());
        }
        return new BodySet(bodies, perArray);
    }

    /// <summary>
    /// <paramref name="count"/> gzip envelopes of one event each, as the .NET SDK sends them (envelope header
    /// with the event id, item header with the length, trailing newline, gzip at the fastest level). The ids
    /// are inside the compressed bytes, so they cannot be rewritten per send: every body is made with its
    /// own id, and a phase that sends more than <paramref name="count"/> bodies sends some twice (stored once).
    /// </summary>
    public static BodySet GzipEnvelopes(IReadOnlyList<byte[]> events, int count)
    {
        var bodies = new byte[count][];
        Parallel.For(0, count, i =>
        {
            var json = (byte[])events[i % events.Count].Clone();
            var id = json.AsSpan(FindIds(json)[0], 32);
            WriteId(id);
            var envelope = new MemoryStream(json.Length + 200);
            envelope.Write("{\"event_id\":\""u8);
            envelope.Write(id);
            envelope.Write("\",\"sdk\":{\"name\":\"sentry.dotnet\",\"version\":\"6.12.1\"}}\n"u8);
            envelope.Write(System.Text.Encoding.ASCII.GetBytes($"{{\"type\":\"event\",\"length\":{json.Length}}}\n"));
            envelope.Write(json);
            envelope.WriteByte((byte)'\n');
            var compressed = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest))
                gzip.Write(envelope.GetBuffer(), 0, (int)envelope.Length);
            bodies[i] = compressed.ToArray();
        });
        return new BodySet([.. bodies], 1, rewriteIds: false);
    }

    /// <summary>The next body with unique event ids, in a pooled buffer the caller returns to <see cref="ArrayPool{T}.Shared"/>.</summary>
    public (byte[] Buffer, int Length) Rent()
    {
        var index = (int)((ulong)Interlocked.Increment(ref nextBody) % (ulong)bodies.Length);
        var body = bodies[index];
        var buffer = ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(buffer, 0);
        foreach (var offset in idOffsets[index]) WriteId(buffer.AsSpan(offset, 32));
        return (buffer, body.Length);
    }

    private static void WriteId(Span<byte> target)
    {
        Span<byte> random = stackalloc byte[16];
        Random.Shared.NextBytes(random);
        Convert.TryToHexStringLower(random, target, out _);
    }

    private static int[] FindIds(byte[] body)
    {
        var offsets = new List<int>();
        var span = body.AsSpan();
        for (var at = span.IndexOf(IdMarker); at >= 0;)
        {
            offsets.Add(at + IdMarker.Length);
            var next = span[(at + 1)..].IndexOf(IdMarker);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return [.. offsets];
    }
}
