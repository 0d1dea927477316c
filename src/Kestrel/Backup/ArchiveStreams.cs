namespace Kestrel.Backup;

/// <summary>
/// Flushes the archive to disk every 32 MiB as it is written, so it reaches the disk in steady steps rather
/// than hundreds of megabytes at once at the end, queued in front of the server's commits, each of which
/// waits for an fsync of the write-ahead log on the same disk. On the reference VM the difference was within
/// the noise (docs/performance.md, "Backup under load"); it costs nothing measurable either.
/// </summary>
internal sealed class SteadySyncStream(FileStream file) : Stream
{
    private const long Interval = 32 << 20;
    private long unsynced;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        unsynced += buffer.Length;
        if (unsynced < Interval) return;
        file.Flush(flushToDisk: true);
        unsynced = 0;
    }

    public override void Flush() => file.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => file.Length;
    public override long Position { get => file.Position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A read-only pass-through that counts the bytes read.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }
    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));
    private int Count(int read) { BytesRead += read; return read; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}
