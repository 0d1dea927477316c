using System.IO.Compression;
using System.Text;

namespace Kestrel.Tests.Support;

/// <summary>Builds Sentry envelopes and sends them to a test server the way SDKs do.</summary>
public static class SentryEnvelopes
{
    /// <summary>The project's DSN on the test server (what `kestrel project create` prints for a public URL).</summary>
    public static string Dsn(this TestProject project) =>
        $"http://{project.PublicKey}@{project.Server.Address.Authority}/{project.Id}";

    /// <summary>An envelope with one event item, as .NET writes it (with length) or as Node does (without).</summary>
    public static string Envelope(string eventJson, string? eventId = null, bool withLength = true, string? extraItems = null, string? dsn = null)
    {
        var header = new StringBuilder("{");
        if (eventId is not null) header.Append($"\"event_id\":\"{eventId}\",");
        if (dsn is not null) header.Append($"\"dsn\":\"{dsn}\",");
        header.Append("\"sdk\":{\"name\":\"kestrel.tests\",\"version\":\"1\"}}");
        var itemHeader = withLength ? $"{{\"type\":\"event\",\"length\":{Encoding.UTF8.GetByteCount(eventJson)}}}" : "{\"type\":\"event\"}";
        return $"{header}\n{extraItems}{itemHeader}\n{eventJson}\n";
    }

    public static byte[] Compress(byte[] body, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" or "x-gzip" => new GZipStream(output, CompressionLevel.Fastest),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest),
            "br" => new BrotliStream(output, CompressionLevel.Fastest),
            "zstd" => new ZstdSharp.CompressionStream(output),
            _ => throw new ArgumentException(encoding),
        })
            compressor.Write(body);
        return output.ToArray();
    }

    /// <summary>A request to the project's envelope endpoint with no credentials; add them per test.</summary>
    public static HttpRequestMessage EnvelopeRequest(this TestProject project, byte[] body, string path = "envelope", long? projectId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/{projectId ?? project.Id}/{path}/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = null; // .NET and Node SDKs send none
        return request;
    }

    public static HttpRequestMessage WithSentryAuth(this HttpRequestMessage request, string key)
    {
        request.Headers.TryAddWithoutValidation("X-Sentry-Auth", $"Sentry sentry_version=7,sentry_client=kestrel.tests/1,sentry_key={key}");
        return request;
    }

    /// <summary>Posts an envelope with X-Sentry-Auth, as the .NET SDK does.</summary>
    public static Task<HttpResponseMessage> PostEnvelopeAsync(this TestProject project, string envelope, string? key = null) =>
        project.Server.Http.SendAsync(project.EnvelopeRequest(Encoding.UTF8.GetBytes(envelope)).WithSentryAuth(key ?? project.PublicKey));

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    public static async Task<string> ReadBodyAsync(this HttpResponseMessage response) => await response.Content.ReadAsStringAsync();

    public static void SetEncoding(this HttpRequestMessage request, string encoding) =>
        request.Content!.Headers.TryAddWithoutValidation("Content-Encoding", encoding);

}
