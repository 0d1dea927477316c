using System.IO.Compression;
using System.Text.Json;

namespace Kestrel.SourceMaps;

/// <summary>One file of an artifact bundle: its artifact URL (<c>~/app.min.js</c>), manifest type, headers (lowercase names) and bytes.</summary>
public sealed record BundleFile(string Url, string Type, IReadOnlyDictionary<string, string> Headers, byte[] Content);

/// <summary>
/// Reads sentry-cli's artifact bundle: <c>SYSB</c>, a little-endian u32 version, then a ZIP whose offsets
/// count from the start of the whole blob (so the ZIP reader gets all of it), holding <c>manifest.json</c>
/// and the files it lists. Older release bundles are the bare ZIP. Sizes are checked as entries are read,
/// since a ZIP's own size fields can lie.
/// </summary>
public static class ArtifactBundle
{
    public const long MaxFileBytes = 100L * 1024 * 1024;
    public const long MaxTotalBytes = 256L * 1024 * 1024;
    public const int MaxFiles = 10_000;

    public sealed record Contents(string? Release, string? Dist, IReadOnlyList<BundleFile> Files);

    /// <exception cref="InvalidDataException">not a bundle Kestrel can read; the message says why</exception>
    public static Contents Read(byte[] blob)
    {
        if (blob.AsSpan().StartsWith("SYSB"u8))
        {
            if (blob.Length < 8) throw new InvalidDataException("The bundle is cut short after its SYSB header.");
            var version = BitConverter.ToUInt32(blob, 4);
            if (version is not (1 or 2)) throw new InvalidDataException($"Artifact bundle version {version} is not supported.");
        }
        using var zip = new ZipArchive(new MemoryStream(blob, writable: false), ZipArchiveMode.Read);
        var manifestEntry = zip.GetEntry("manifest.json") ?? throw new InvalidDataException("The bundle has no manifest.json.");
        using var manifest = JsonDocument.Parse(ReadEntry(manifestEntry, 16 * 1024 * 1024), new JsonDocumentOptions { MaxDepth = 16 });
        var root = manifest.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("The bundle's manifest.json has no files object.");

        var list = new List<BundleFile>();
        long total = 0;
        foreach (var file in files.EnumerateObject())
        {
            if (list.Count >= MaxFiles) throw new InvalidDataException($"A bundle may hold at most {MaxFiles} files.");
            var info = file.Value;
            if (info.ValueKind != JsonValueKind.Object) continue;
            var type = String(info, "type");
            if (type is not (SourceFile.SourceMapKind or SourceFile.MinifiedKind)) continue; // original sources and RAM bundles are not used
            var url = String(info, "url") ?? throw new InvalidDataException($"The manifest entry {file.Name} has no url.");
            var entry = zip.GetEntry(file.Name) ?? throw new InvalidDataException($"The manifest lists {file.Name}, which is not in the bundle.");
            var content = ReadEntry(entry, MaxFileBytes);
            total += content.Length;
            if (total > MaxTotalBytes) throw new InvalidDataException($"The bundle's files add up to more than {MaxTotalBytes / 1024 / 1024} MiB.");
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (info.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
                foreach (var header in h.EnumerateObject())
                    if (header.Value.ValueKind == JsonValueKind.String) headers[header.Name.ToLowerInvariant()] = header.Value.GetString()!;
            list.Add(new BundleFile(url, type, headers, content));
        }
        return new Contents(NonEmpty(String(root, "release")), NonEmpty(String(root, "dist")), list);
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long max)
    {
        if (entry.Length > max) throw new InvalidDataException($"{entry.FullName} is larger than {max / 1024 / 1024} MiB.");
        using var stream = entry.Open();
        using var buffer = new MemoryStream((int)Math.Max(0, entry.Length));
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > max) throw new InvalidDataException($"{entry.FullName} is larger than {max / 1024 / 1024} MiB.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static string? String(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
