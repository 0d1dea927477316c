using System.Buffers;

namespace Kestrel.Ingest;

/// <summary>
/// Hands out request-body buffers against one budget for all requests together, so that many small
/// compressed bodies that each inflate to 20 MiB cannot take the server's memory: past the budget a
/// request is answered 503 at once. Buffers up to 1 MiB come from a private pool (an array of 100
/// events is 0.6 MiB, so its buffer is on the large object heap, and ArrayPool.Shared would keep up
/// to 32 per core for a minute after a burst); <see cref="Platform.MemoryTrimmer"/> drops that pool
/// when the server turns idle. Larger buffers are plain arrays.
/// </summary>
public sealed class BodyBuffers(long budgetBytes)
{
    private const int LargestPooled = 1024 * 1024;
    private long inUse;
    private ArrayPool<byte> pool = NewPool();

    private static ArrayPool<byte> NewPool() => ArrayPool<byte>.Create(LargestPooled, maxArraysPerBucket: 32);

    public long InUse => Interlocked.Read(ref inUse);

    /// <returns>a buffer of at least <paramref name="size"/> bytes, or null when the budget is spent</returns>
    public byte[]? TryRent(int size)
    {
        var buffer = size <= LargestPooled ? Volatile.Read(ref pool).Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        if (Interlocked.Add(ref inUse, buffer.Length) <= budgetBytes) return buffer;
        Return(buffer);
        return null;
    }

    public void Return(byte[] buffer)
    {
        Interlocked.Add(ref inUse, -buffer.Length);
        if (buffer.Length <= LargestPooled) Volatile.Read(ref pool).Return(buffer);
    }

    /// <summary>Lets every idle pooled buffer go; buffers rented now go to the new pool when returned.</summary>
    public void Trim() => Volatile.Write(ref pool, NewPool());
}
