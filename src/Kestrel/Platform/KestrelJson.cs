using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Kestrel.Platform;

public static class KestrelJson
{
    /// <summary>
    /// API responses: camelCase, nulls left out. The encoder keeps non-ASCII text readable but still
    /// escapes &lt; &gt; &amp; ' so event content can never close a script or HTML context.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
}
