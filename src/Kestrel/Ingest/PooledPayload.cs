using System.Buffers;

namespace Kestrel.Ingest;

/// <summary>
/// An event's stored payload (<see cref="StoredPayload"/>) in an array rented from <see cref="ArrayPool{T}.Shared"/>, so
/// ingest makes no payload array per event: an exact-length copy was a sixth of all the bytes the server allocated per
/// event. The rented array is longer than the payload; only <see cref="Length"/> bytes of it are the payload, so the array
/// itself is never handed out.
/// <para>
/// Ownership: <see cref="IngestService.StoreAsync"/> gives the array back once the writer has finished with the request's
/// events (or refused them before they were queued). Whoever drops a payload on any other path leaves it to the garbage
/// collector, which is always safe. After <see cref="Return"/> every read throws rather than see another event's bytes.
/// </para>
/// </summary>
public sealed class PooledPayload
{
    private byte[]? rented;
    private readonly bool pooled;

    /// <param name="rented">an array from <see cref="ArrayPool{T}.Shared"/>, now owned by this payload</param>
    /// <param name="length">how many of its bytes, from the start, are the payload</param>
    /// <param name="pooled">false for an array of its own that goes to no pool (<see cref="StoredPayload.Compress"/> says when)</param>
    internal PooledPayload(byte[] rented, int length, bool pooled = true)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, rented.Length);
        this.rented = rented;
        this.pooled = pooled;
        Length = length;
    }

    /// <summary>The payload's length in bytes (what <c>events.payload</c> stores), not the rented array's.</summary>
    public int Length { get; }

    public ReadOnlySpan<byte> Span => Rented().AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => Rented().AsMemory(0, Length);

    /// <summary>An exact-length copy, for a reader that keeps it past the payload's life (PostgreSQL's array parameter).</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Whether the array came from the pool (and goes back to it), or is an exact copy of its own.</summary>
    internal bool IsPooled => pooled;

    /// <summary>Whether <see cref="Return"/> was called.</summary>
    public bool IsReturned => Volatile.Read(ref rented) is null;

    /// <summary>
    /// Gives the array back to the pool. Call it only when nothing can read the payload any more; a second call does
    /// nothing (the array goes back once, so it is never handed to two renters).
    /// </summary>
    public void Return()
    {
        if (Interlocked.Exchange(ref rented, null) is { } array && pooled) ArrayPool<byte>.Shared.Return(array);
    }

    private byte[] Rented() => Volatile.Read(ref rented) ?? throw new ObjectDisposedException(nameof(PooledPayload), "The payload's array went back to the pool.");
}
