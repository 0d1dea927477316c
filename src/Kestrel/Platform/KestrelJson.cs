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
        MaxDepth = MaxStoredDepth,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    /// <summary>
    /// How deep stored event JSON may be read and written back: ingest accepts 64 levels, the
    /// normaliser may wrap a list in <c>{"values": ...}</c>, and answers put events a few levels down.
    /// </summary>
    public const int MaxStoredDepth = 128;

    public static readonly JsonDocumentOptions StoredDocument = new() { MaxDepth = MaxStoredDepth };

    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
}
