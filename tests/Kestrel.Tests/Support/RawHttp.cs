using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kestrel.Tests.Support;

/// <summary>HTTP/1.1 by hand over a socket, for clients no HTTP library would be: slow, cut short, from another loopback address.</summary>
public static class RawHttp
{
    /// <param name="from">a loopback address to send from (127.0.0.2 is another client than 127.0.0.1); null for any</param>
    public static async Task<Socket> ConnectAsync(Uri server, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null) socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(IPAddress.Parse(server.Host), server.Port);
        return socket;
    }

    /// <param name="headers">extra header lines, each ending in CRLF</param>
    public static Task SendHeadAsync(Socket socket, Uri server, string path, string headers, long contentLength) =>
        socket.SendAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\n{headers}Content-Length: {contentLength}\r\n\r\n"));

    /// <returns>the status of the answer, or 0 when the server closed the connection without one</returns>
    public static async Task<int> ReadStatusAsync(Socket socket, TimeSpan giveUp)
    {
        using var timeout = new CancellationTokenSource(giveUp);
        var buffer = new byte[64];
        var length = 0;
        while (length < 12)
        {
            int read;
            // A server that closes a connection with bytes of it still unread makes the kernel send a reset, not an end:
            // that is a close without an answer too.
            try { read = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { return 0; }
            if (read == 0) return 0;
            length += read;
        }
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(text[9..12]) : 0;
    }
}
