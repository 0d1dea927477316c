using System.Buffers;

namespace Kestrel.Ingest;

/// <summary>
/// Hands out request-body buffers against one budget for all requests together, so that many small
/// compressed bodies that each inflate to 20 MiB cannot take the server's memory: past the budget a
/// request is answered 503 at once. Buffers up to 1 MiB come from the shared pool; larger ones are
/// plain arrays, since the pool would keep them for ever after one burst.
/// </summary>
public sealed class BodyBuffers(long budgetBytes)
{
    private const int LargestPooled = 1024 * 1024;
    private long inUse;

    public long InUse => Interlocked.Read(ref inUse);

    /// <returns>a buffer of at least <paramref name="size"/> bytes, or null when the budget is spent</returns>
    public byte[]? TryRent(int size)
    {
        var buffer = size <= LargestPooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        if (Interlocked.Add(ref inUse, buffer.Length) <= budgetBytes) return buffer;
        Return(buffer);
        return null;
    }

    public void Return(byte[] buffer)
    {
        Interlocked.Add(ref inUse, -buffer.Length);
        if (buffer.Length <= LargestPooled) ArrayPool<byte>.Shared.Return(buffer);
    }
}
