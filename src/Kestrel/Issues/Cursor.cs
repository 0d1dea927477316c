using System.Globalization;
using System.Text;

namespace Kestrel.Issues;

/// <summary>
/// Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded. Keyset paging
/// stays correct while new events arrive, unlike OFFSET.
/// </summary>
public static class Cursor
{
    public static string Encode(params long[] keys) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Join(':', keys))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <returns>the keys, or null when the cursor was not made by <see cref="Encode"/> with that many keys</returns>
    public static long[]? Decode(string? cursor, int count)
    {
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 100) return null;
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        try
        {
            var parts = Encoding.ASCII.GetString(Convert.FromBase64String(base64)).Split(':');
            if (parts.Length != count) return null;
            var keys = new long[count];
            for (var i = 0; i < count; i++)
                if (!long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out keys[i])) return null;
            return keys;
        }
        catch (FormatException) { return null; }
    }
}
