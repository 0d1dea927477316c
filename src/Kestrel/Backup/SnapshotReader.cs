using System.Formats.Tar;
using System.IO.Compression;

namespace Kestrel.Backup;

/// <summary>
/// Reads an archive once, from start to end: checks every entry against the layout, writes kestrel.db (and,
/// for a restore, every map) into a folder of its own, and checks each map as it passes.
/// </summary>
public static class SnapshotReader
{
    /// <summary>A map or release file larger than this is refused rather than read into memory to be checked.</summary>
    public const int MaxFileBytes = 256 << 20;

    /// <summary>Problems beyond this many are counted, not listed.</summary>
    private const int MaxProblemsListed = 20;

    public sealed record Result(int Maps, int OtherFiles, IReadOnlyList<string> Problems, int MoreProblems);

    /// <param name="keepMaps">write each valid map and release file under <paramref name="target"/>/sourcemaps (restore), or only check it (verify)</param>
    /// <param name="progress">shown the compressed bytes read of the archive's total</param>
    public static Result Extract(string archive, string target, bool keepMaps, BackupProgress? progress = null)
    {
        var problems = new List<string>();
        var more = 0;
        void Problem(string text) { if (problems.Count < MaxProblemsListed) problems.Add(text); else more++; }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var maps = 0;
        var others = 0;
        try
        {
            using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var gzip = new CountingStream(new GZipStream(file, CompressionMode.Decompress));
            using var tar = new TarReader(gzip, leaveOpen: true);
            Action? tick = progress is null ? null : () => progress.Bytes("Reading the archive", file.Position, file.Length);
            while (tar.GetNextEntry() is { } entry)
            {
                tick?.Invoke();
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
                var isDirectory = entry.EntryType is TarEntryType.Directory;
                var isFile = entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
                var (kind, name) = SnapshotLayout.Classify(entry.Name, isDirectory);
                if (!isFile && !isDirectory) { Problem($"{Quote(entry.Name)} is a {entry.EntryType}, not a file or folder"); continue; }
                if (kind == SnapshotLayout.Kind.Invalid) { Problem($"{Quote(entry.Name)} is not part of a Kestrel snapshot (kestrel.db and sourcemaps/<project>/<release>/<file>)"); continue; }
                if (kind == SnapshotLayout.Kind.Folder) continue;
                if (!seen.Add(name)) { Problem($"{Quote(name)} is in the archive twice"); continue; }

                if (kind == SnapshotLayout.Kind.Database)
                {
                    WriteFile(entry.DataStream, Path.Combine(target, SnapshotLayout.DatabaseEntry), tick);
                    continue;
                }
                if (entry.Length > MaxFileBytes) { Problem($"{Quote(name)} is larger than {MaxFileBytes >> 20} MiB"); continue; }
                if (kind == SnapshotLayout.Kind.ReleaseFile)
                {
                    if (keepMaps) WriteFile(entry.DataStream, InsideTarget(target, name));
                    others++;
                    continue;
                }
                var content = new byte[entry.Length];
                entry.DataStream?.ReadExactly(content);
                if (SourceMapCheck.Problem(content) is { } why) { Problem($"{Quote(name)} {why}"); continue; }
                if (keepMaps) WriteFile(new MemoryStream(content), InsideTarget(target, name));
                maps++;
            }
            gzip.CopyTo(Stream.Null);
            tick?.Invoke();
            if (!EndsWithLength(file, gzip.BytesRead)) Problem("the archive is truncated (its gzip trailer is missing or wrong)");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            Problem($"the archive is truncated or is not a .tar.gz ({e.Message.TrimEnd('.')})");
        }
        if (!seen.Contains(SnapshotLayout.DatabaseEntry) && problems.Count == 0) Problem("the archive has no kestrel.db at its root");
        return new Result(maps, others, problems, more);
    }

    /// <summary>
    /// .NET's GZipStream ends quietly when a gzip file is cut inside its trailer or its last block, so the
    /// trailer is checked here: its last four bytes are the uncompressed length modulo 2^32. (An archive of
    /// several concatenated gzip members, which Kestrel never writes, would fail this check.)
    /// </summary>
    private static bool EndsWithLength(FileStream file, long uncompressed)
    {
        if (file.Length < 18) return false;
        Span<byte> trailer = stackalloc byte[4];
        file.Seek(-4, SeekOrigin.End);
        file.ReadExactly(trailer);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer) == (uint)uncompressed;
    }

    /// <summary>Entry names were checked by <see cref="SnapshotLayout.Classify"/>; this is the second lock on the same door.</summary>
    private static string InsideTarget(string target, string name)
    {
        var root = Path.GetFullPath(target) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(root, name));
        return path.StartsWith(root, StringComparison.Ordinal) ? path : throw new SnapshotException($"{Quote(name)} would be written outside {target}.");
    }

    /// <summary>Written private and flushed to disk, since a restore renames it into place next.</summary>
    private static void WriteFile(Stream? content, string path, Action? tick = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var output = PrivateFiles.CreateNew(path);
        if (content is not null)
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = content.Read(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
                tick?.Invoke();
            }
        }
        output.Flush(flushToDisk: true);
    }

    /// <summary>Entry names come from the archive: control characters are shown escaped, never printed raw to a terminal.</summary>
    private static string Quote(string name) =>
        "'" + string.Concat(name.Take(300).Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) + "'";
}
