using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Tests.Ingest;

public sealed class PooledPayloadTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(
        """{"event_id":"0123456789abcdef0123456789abcdef","level":"error","message":"a message long enough to compress, compress, compress"}""");

    [Fact]
    public void A_compressed_payload_is_exactly_brotli_at_quality_0_however_long_its_array()
    {
        var expected = new byte[BrotliEncoder.GetMaxCompressedLength(Json.Length)];
        Assert.True(BrotliEncoder.TryCompress(Json, expected, out var written, quality: 0, window: 22));

        var payload = StoredPayload.Compress(Json);

        Assert.Equal(written, payload.Length);
        Assert.Equal(expected[..written], payload.ToArray());
        Assert.Equal(expected[..written], payload.Span.ToArray());
        Assert.Equal(Json, StoredPayload.Decompress(payload.Memory));
        payload.Return();
    }

    [Fact]
    public void A_returned_payload_cannot_be_read_and_its_array_goes_back_once()
    {
        var array = ArrayPool<byte>.Shared.Rent(777_777); // a bucket other tests do not use
        Json.CopyTo(array, 0);
        var payload = new PooledPayload(array, Json.Length);
        Assert.Equal(Json, payload.ToArray());

        payload.Return();
        payload.Return();

        Assert.True(payload.IsReturned);
        Assert.Throws<ObjectDisposedException>(() => payload.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => payload.ToArray());
        // Given back twice, the array would be handed to both of the next two renters on this thread.
        var first = ArrayPool<byte>.Shared.Rent(777_777);
        var second = ArrayPool<byte>.Shared.Rent(777_777);
        Assert.Same(array, first);
        Assert.NotSame(first, second);
        ArrayPool<byte>.Shared.Return(first);
        ArrayPool<byte>.Shared.Return(second);
    }

    [Fact]
    public void The_events_of_an_array_get_exact_copies_and_a_lone_event_a_pooled_array()
    {
        var one = Encoding.UTF8.GetString(Json);
        var (lone, _, _) = IngestPipeline.Prepare(Encoding.UTF8.GetBytes(one), DateTimeOffset.UnixEpoch);
        var (loneInArray, _, _) = IngestPipeline.Prepare(Encoding.UTF8.GetBytes($"[{one}]"), DateTimeOffset.UnixEpoch);
        var (many, _, _) = IngestPipeline.Prepare(Encoding.UTF8.GetBytes($"[{one},{one.Replace("0123", "4567")}]"), DateTimeOffset.UnixEpoch);

        Assert.True(lone![0].StoredPayload.IsPooled);
        Assert.True(loneInArray![0].StoredPayload.IsPooled);
        Assert.All(many!, e => Assert.False(e.StoredPayload.IsPooled));
        // The same bytes either way, and an exact copy reads as a pooled one until it is returned.
        Assert.Equal(lone[0].StoredPayload.ToArray(), many![0].StoredPayload.ToArray());
        foreach (var e in many) e.StoredPayload.Return();
        Assert.All(many, e => Assert.Throws<ObjectDisposedException>(() => e.StoredPayload.ToArray()));
        lone[0].StoredPayload.Return();
        loneInArray[0].StoredPayload.Return();
    }

    [Fact]
    public void A_length_longer_than_the_array_is_refused()
    {
        var array = ArrayPool<byte>.Shared.Rent(16);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PooledPayload(array, array.Length + 1));
        ArrayPool<byte>.Shared.Return(array);
    }

    [Fact]
    public void An_event_whose_json_a_source_map_replaced_gives_back_only_the_payload_no_one_holds()
    {
        using var document = JsonDocument.Parse(Json);
        var normalised = EventNormaliser.Normalise(document.RootElement, DateTimeOffset.UnixEpoch);
        var original = normalised.CompressedPayload;

        var sameJson = normalised with { Release = "1.0" };
        normalised.ReturnPayloadReplacedBy(sameJson);
        Assert.False(original.IsReturned);
        Assert.Same(original, sameJson.CompressedPayload);

        var resolved = normalised with { Payload = Encoding.UTF8.GetBytes("""{"resolved":true}""") };
        normalised.ReturnPayloadReplacedBy(resolved);
        Assert.True(original.IsReturned);
        Assert.Equal("""{"resolved":true}""", Encoding.UTF8.GetString(StoredPayload.Decompress(resolved.CompressedPayload.Memory)));
        resolved.CompressedPayload.Return();
    }
}
