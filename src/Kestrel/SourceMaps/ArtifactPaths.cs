namespace Kestrel.SourceMaps;

/// <summary>
/// File names and URLs of uploaded artifacts. An uploaded file name becomes a path on disk, so it is
/// checked as if every one were an attempt to climb out of the release's directory.
/// </summary>
public static class ArtifactPaths
{
    public const int MaxPathLength = 1024;
    private const int MaxSegmentBytes = 255;

    /// <summary>
    /// A relative path such as <c>static/js/app.min.js.map</c>: forward slashes, no empty, <c>.</c> or
    /// <c>..</c> segments, no leading slash, no drive letter or other colon, no backslash, no control characters.
    /// </summary>
    /// <returns>null when acceptable, else why not (one sentence)</returns>
    public static string? Check(string path)
    {
        if (path.Length == 0) return "A file name must not be empty.";
        if (path.Length > MaxPathLength) return $"A file name must be at most {MaxPathLength} characters.";
        if (path[0] == '/') return $"File name '{Shown(path)}' is absolute; give a path relative to the release, such as static/js/app.min.js.map.";
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (char.IsControl(c)) return "A file name must not contain control characters such as NUL.";
            if (c == '\\') return $"File name '{Shown(path)}' contains a backslash; separate folders with '/'.";
            if (c == ':') return $"File name '{Shown(path)}' contains ':' (a drive letter or URL); give a relative path.";
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1])) i++;
            else if (char.IsSurrogate(c)) return "A file name must be valid Unicode text.";
        }
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..") return $"File name '{Shown(path)}' has an empty, '.' or '..' part; it must stay inside the release.";
            if (System.Text.Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes) return $"A part of file name '{Shown(path)}' is longer than {MaxSegmentBytes} bytes.";
        }
        return null;
    }

    /// <summary>Enough of a hostile name to recognise it in an error, without control characters.</summary>
    private static string Shown(string path) => path.Length <= 100 ? path : path[..100] + "…";

    /// <summary>
    /// A URL or path reduced to what frames are matched on: no scheme, host, <c>~</c>, query, fragment or
    /// leading slash. <c>https://cdn.example/static/js/app.min.js?v=3</c> and <c>~/static/js/app.min.js</c>
    /// both give <c>static/js/app.min.js</c>; <c>app:///dist/x.js</c> gives <c>dist/x.js</c>; a Windows path
    /// <c>C:\app\dist\x.js</c> gives <c>app/dist/x.js</c>.
    /// </summary>
    public static string UrlPath(string url)
    {
        var path = url.Trim();
        if (path.StartsWith("async ", StringComparison.Ordinal)) path = path[6..]; // an old SDK bug Sentry also strips
        var cut = path.AsSpan().IndexOfAny('?', '#');
        if (cut >= 0) path = path[..cut];
        path = path.Replace('\\', '/');
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            var pathStart = path.IndexOf('/', scheme + 3);
            path = pathStart < 0 ? "" : path[pathStart..];
        }
        else if (path.StartsWith('~')) path = path[1..];
        else if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])) path = path[2..];
        return path.TrimStart('/');
    }

    /// <summary>Most trailing segments of a frame's path that lookups use; a hostile path of thousands is cut to these.</summary>
    public const int MaxLookupSegments = 16;

    /// <summary>
    /// The part of a frame's file that is looked up: its <see cref="UrlPath"/> cut to the last
    /// <see cref="MaxLookupSegments"/> segments and at most <see cref="MaxPathLength"/> characters (no uploaded
    /// file name is longer, so a longer candidate could never match). Bounds the work any one frame can cause.
    /// </summary>
    public static string LookupPath(string url)
    {
        var path = UrlPath(url);
        var kept = path.Length;
        var end = path.Length;
        for (var segments = 0; segments < MaxLookupSegments && end > 0; segments++)
        {
            var slash = path.LastIndexOf('/', end - 1);
            if (path.Length - (slash + 1) > MaxPathLength) break;
            kept = slash + 1;
            if (slash <= 0) break;
            end = slash;
        }
        return path[kept..];
    }

    /// <summary>
    /// The paths a frame's file may have been uploaded as, longest first (PRODUCT §7):
    /// <c>static/js/app.min.js</c>, <c>js/app.min.js</c>, <c>app.min.js</c>; at most <see cref="MaxLookupSegments"/>.
    /// </summary>
    public static List<string> Candidates(string url) => Suffixes(LookupPath(url));

    /// <summary>Every suffix of <paramref name="path"/> that starts at a segment, longest first.</summary>
    public static List<string> Suffixes(string path)
    {
        var list = new List<string>();
        while (path.Length > 0)
        {
            list.Add(path);
            var slash = path.IndexOf('/');
            if (slash < 0) break;
            path = path[(slash + 1)..];
        }
        return list;
    }

    /// <summary>
    /// Resolves a map reference (a <c>sourceMappingURL</c> or <c>Sourcemap</c> header) against the url path
    /// of the file that holds it: <c>app.min.js.map</c> next to <c>static/js/app.min.js</c> is
    /// <c>static/js/app.min.js.map</c>; <c>../maps/a.map</c> climbs one folder. Absolute URLs reduce to their path.
    /// </summary>
    public static string? ResolveReference(string fileUrlPath, string reference)
    {
        if (reference.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
        if (reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith('/') || reference.StartsWith('~'))
            return UrlPath(reference);
        var cut = reference.AsSpan().IndexOfAny('?', '#');
        if (cut >= 0) reference = reference[..cut];
        var parts = new List<string>(fileUrlPath.Split('/'));
        parts.RemoveAt(parts.Count - 1);
        foreach (var part in reference.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(part);
        }
        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
