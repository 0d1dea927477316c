using System.Text.Json;

namespace Kestrel.Mcp;

/// <summary>
/// Stands between stdin/stdout and the MCP SDK's stream transport so that a piped session
/// (<c>printf '…' | kestrel mcp</c>) is answered whole and in order. The SDK handles messages concurrently
/// and, once its input ends, stops and drops every answer not yet written. So <see cref="Input"/> hands
/// the SDK one line at a time and, after a request, holds back the next line (and the end of input) until
/// <see cref="Output"/> has written that request's answer.
/// </summary>
public sealed class StdioRequestGate
{
    private readonly object gate = new();
    private readonly HashSet<string> unanswered = [];
    private TaskCompletionSource answered = Completed();

    public StdioRequestGate(Stream stdin, Stream stdout)
    {
        Input = new GatedInput(this, stdin);
        Output = new WatchedOutput(this, stdout);
    }

    public Stream Input { get; }
    public Stream Output { get; }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    /// <summary>Completes when every request handed to the SDK so far has been answered.</summary>
    private Task AllAnswered() { lock (gate) return answered.Task; }

    private void Read(ReadOnlySpan<byte> line)
    {
        if (RequestId(line, wantRequest: true) is not { } id) return;
        lock (gate)
        {
            if (unanswered.Count == 0) answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            unanswered.Add(id);
        }
    }

    private void Wrote(ReadOnlySpan<byte> line)
    {
        if (RequestId(line, wantRequest: false) is not { } id) return;
        lock (gate)
        {
            if (unanswered.Remove(id) && unanswered.Count == 0) answered.TrySetResult();
        }
    }

    /// <summary>
    /// The id of a JSON-RPC request (<paramref name="wantRequest"/>: a method and an id) or of an answer (an id and
    /// no method); null for anything else. Only string and number ids count: the SDK answers nothing else.
    /// </summary>
    private static string? RequestId(ReadOnlySpan<byte> line, bool wantRequest)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var id)) return null;
            var isRequest = root.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String;
            if (isRequest != wantRequest) return null;
            return id.ValueKind switch
            {
                JsonValueKind.String => "s:" + id.GetString(),
                JsonValueKind.Number => "n:" + id.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Gives the SDK at most one line per read, and waits for answers before the next line or the end.</summary>
    private sealed class GatedInput(StdioRequestGate owner, Stream stdin) : Stream
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private readonly MemoryStream line = new();
        private int start, end;
        private bool ended;

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (line.Position < line.Length) return Copy(destination);
            await owner.AllAnswered().WaitAsync(cancellationToken);
            line.SetLength(0);
            while (!ended)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    line.Write(buffer, start, newline + 1 - start);
                    start = newline + 1;
                    break;
                }
                line.Write(buffer, start, end - start);
                start = end = 0;
                var n = await stdin.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken);
                if (n == 0) ended = true;
                end = n;
            }
            if (line.Length == 0) return 0;
            owner.Read(line.GetBuffer().AsSpan(0, (int)line.Length));
            line.Position = 0;
            return Copy(destination);
        }

        private int Copy(Memory<byte> destination) => line.Read(destination.Span);

        public override Task<int> ReadAsync(byte[] target, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(target.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] target, int offset, int count) => ReadAsync(target, offset, count).GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Passes everything to stdout; at each line's end flushes it and notes the answer it carried.</summary>
    private sealed class WatchedOutput(StdioRequestGate owner, Stream stdout) : Stream
    {
        private readonly MemoryStream line = new();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            await stdout.WriteAsync(source, cancellationToken);
            var rest = source;
            while (rest.Span.IndexOf((byte)'\n') is var newline and >= 0)
            {
                line.Write(rest.Span[..newline]);
                await stdout.FlushAsync(cancellationToken);
                owner.Wrote(line.GetBuffer().AsSpan(0, (int)line.Length));
                line.SetLength(0);
                rest = rest[(newline + 1)..];
            }
            line.Write(rest.Span);
        }

        public override Task WriteAsync(byte[] source, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(source.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] source, int offset, int count) => WriteAsync(source, offset, count).GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => stdout.FlushAsync(cancellationToken);
        public override void Flush() => stdout.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
