using System.Net;

namespace Kestrel.Mcp;

/// <summary>
/// The MCP transport's rule against DNS rebinding and cross-site requests: a request that carries an
/// <c>Origin</c> comes from a browser, and only a page of Kestrel itself (<c>KESTREL_PUBLIC_URL</c>) or one served
/// from this machine (a loopback origin) may drive <c>/mcp</c>. Agents send no <c>Origin</c> and are not affected.
/// </summary>
public static class McpOrigins
{
    /// <param name="origin">the header's value, as sent</param>
    /// <param name="publicUrl">the server's public URL (<see cref="Platform.KestrelOptions.PublicUrl"/>)</param>
    public static bool IsAllowed(string origin, string publicUrl)
    {
        // "null" (sandboxed frames, file: pages), paths, user info and other schemes are not origins of ours.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || from.Scheme is not ("http" or "https")
            || from.AbsolutePath != "/" || from.UserInfo.Length > 0 || from.Query.Length > 0 || origin.EndsWith('#')) return false;
        if (from.IsLoopback && (from.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(from.Host.Trim('[', ']'), out _)))
            return true;
        return Uri.TryCreate(publicUrl, UriKind.Absolute, out var own)
            && string.Equals(from.Scheme, own.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(from.IdnHost, own.IdnHost, StringComparison.OrdinalIgnoreCase)
            && from.Port == own.Port;
    }
}
