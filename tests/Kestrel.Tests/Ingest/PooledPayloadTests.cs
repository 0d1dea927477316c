using System.Buffers;
using System.Text;
using Kestrel.Ingest;

namespace Kestrel.Tests.Ingest;

public sealed class PooledPayloadTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(
        """{"event_id":"0123456789abcdef0123456789abcdef","level":"error","message":"a message long enough to compress, compress, compress"}""");

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
    public void A_length_longer_than_the_array_is_refused()
    {
        var array = ArrayPool<byte>.Shared.Rent(16);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PooledPayload(array, array.Length + 1));
        ArrayPool<byte>.Shared.Return(array);
    }
}
