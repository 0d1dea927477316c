namespace Kestrel.Backup;

/// <summary>
/// The archive layout of PRODUCT.md §8, which users' runbooks follow: <c>kestrel.db</c> at the root and
/// <c>sourcemaps/&lt;project&gt;/&lt;release&gt;/&lt;file&gt;.map</c>, where the file may have folders of its own.
/// </summary>
/// <remarks>
/// The source-map store also keeps the minified files uploaded with a release (sentry-cli sends them, and
/// their <c>sourceMappingURL</c> leads to maps) in the same folders, indexed in kestrel.db like the maps.
/// They are <see cref="Kind.ReleaseFile"/>s: carried in the archive beside the maps, so a restored index
/// never points at missing files, but not checked as maps.
/// </remarks>
public static class SnapshotLayout
{
    public const string DatabaseEntry = "kestrel.db";
    public const string SourceMapsFolder = "sourcemaps";

    public enum Kind { Database, SourceMap, ReleaseFile, Folder, Invalid }

    /// <summary>
    /// What an archive entry name is. Every name is treated as hostile: absolute paths, <c>..</c>, empty or
    /// <c>.</c> segments, backslashes and control characters are invalid, so an entry can only ever land
    /// inside the directory it is extracted into. A leading <c>./</c> (from <c>tar -C dir .</c>) is allowed.
    /// </summary>
    /// <returns>the kind, and the name without a leading <c>./</c> or trailing <c>/</c></returns>
    public static (Kind Kind, string Name) Classify(string entryName, bool isDirectory)
    {
        var name = entryName;
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        if (isDirectory) name = name.TrimEnd('/');
        if (isDirectory && name is "" or ".") return (Kind.Folder, "");
        if (name.Length == 0 || name.StartsWith('/') || name.Any(c => c == '\\' || char.IsControl(c))) return (Kind.Invalid, name);
        var segments = name.Split('/');
        if (segments.Any(s => s is "" or "." or "..")) return (Kind.Invalid, name);

        if (name == DatabaseEntry) return (isDirectory ? Kind.Invalid : Kind.Database, name);
        if (segments[0] != SourceMapsFolder) return (Kind.Invalid, name);
        if (isDirectory) return (Kind.Folder, name);
        // sourcemaps / project / release / file, the file possibly in folders of its own
        if (segments.Length < 4) return (Kind.Invalid, name);
        return name.EndsWith(".map", StringComparison.Ordinal) && segments[^1].Length > ".map".Length
            ? (Kind.SourceMap, name)
            : (Kind.ReleaseFile, name);
    }

    /// <summary>The archive name and kind of a file found under the data directory's sourcemaps folder; null when it is not where a release's files belong.</summary>
    public static (string Name, Kind Kind)? EntryOfFile(string sourceMapsRoot, string file)
    {
        var relative = Path.GetRelativePath(sourceMapsRoot, file).Replace(Path.DirectorySeparatorChar, '/');
        var name = SourceMapsFolder + "/" + relative;
        return Classify(name, isDirectory: false) is (Kind.SourceMap or Kind.ReleaseFile, var clean) kind && clean == name ? (name, kind.Kind) : null;
    }
}
