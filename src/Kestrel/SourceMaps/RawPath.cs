using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Kestrel.SourceMaps;

/// <summary>
/// Path segments read from the request target as the client sent it. The server decodes %2F in paths
/// differently from every other escape, so a release name like <c>web/1.0</c> (sent as <c>web%2F1.0</c>)
/// is taken from the raw target and percent-decoded here, exactly once.
/// </summary>
public static class RawPath
{
    /// <returns>the decoded segment at <paramref name="index"/> (0 is the first after the leading slash), or null if missing or not UTF-8</returns>
    public static string? Segment(HttpContext http, int index)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.ToString();
        var query = target.IndexOf('?');
        if (query >= 0) target = target[..query];
        var segments = target.TrimStart('/').Split('/');
        return index < segments.Length ? Decode(segments[index]) : null;
    }

    public static string? Decode(string segment)
    {
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length || !char.IsAsciiHexDigit(segment[i + 1]) || !char.IsAsciiHexDigit(segment[i + 2])) return null;
                bytes.Add(Convert.ToByte(segment.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c < 128) bytes.Add((byte)c);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()); }
        catch (DecoderFallbackException) { return null; }
    }
}
