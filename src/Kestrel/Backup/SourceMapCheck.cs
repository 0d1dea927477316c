using Kestrel.SourceMaps;

namespace Kestrel.Backup;

/// <summary>
/// Whether a file is a source map Kestrel can use, by the same parser that reads maps for resolution
/// (<see cref="SourceMapParser"/>), so backup and verify accept exactly the maps uploads accept.
/// </summary>
public static class SourceMapCheck
{
    /// <returns>null for a usable map, else why it is not one (a phrase that follows the file's name)</returns>
    public static string? Problem(byte[] content)
    {
        try
        {
            SourceMapParser.Parse(content);
            return null;
        }
        catch (SourceMapException e) { return "is not a usable source map: " + e.Message.TrimEnd('.'); }
    }
}
