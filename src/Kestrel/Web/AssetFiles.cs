using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Kestrel.Web;

/// <summary>
/// The stylesheet and the one small script, embedded in the binary and served from memory. Pages link
/// them with a content hash in the URL (<see cref="Url"/>), so browsers may cache them for good.
/// </summary>
public static class AssetFiles
{
    private const string Prefix = "Kestrel.Web.Assets.";

    private sealed record Asset(byte[] Content, string ContentType, string Hash);

    private static readonly FrozenDictionary<string, Asset> All = Load();

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(AssetFiles).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToFrozenDictionary(
            n => n[Prefix.Length..],
            n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var bytes = copy.ToArray();
                var type = Path.GetExtension(n) switch
                {
                    ".css" => "text/css; charset=utf-8",
                    ".svg" => "image/svg+xml",
                    _ => "text/javascript; charset=utf-8",
                };
                return new Asset(bytes, type, Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]);
            });
    }

    /// <summary>The URL of an embedded file, versioned by its content.</summary>
    public static string Url(string name) => $"/assets/{name}?v={All[name].Hash}";

    public static void MapAssets(this IEndpointRouteBuilder app) => app.MapGet("/assets/{name}", (string name, HttpContext http) =>
    {
        // Only names in the table: a path segment never reaches the file system.
        if (!All.TryGetValue(name, out var asset)) return Platform.ApiError.NotFound($"There is no asset {name}.");
        http.Response.Headers.CacheControl = http.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        http.Response.Headers.ETag = $"\"{asset.Hash}\"";
        return Results.Bytes(asset.Content, asset.ContentType);
    });
}
