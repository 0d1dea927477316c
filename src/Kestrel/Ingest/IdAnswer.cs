using System.Buffers;
using System.Text;
using Kestrel.Platform;

namespace Kestrel.Ingest;

/// <summary>
/// The answer to a stored event, <c>{"id":"…"}</c>, written as bytes. Every accepted event gets one, so it is on the
/// hottest path there is: the JSON serializer's answer (an anonymous type, its metadata, an async write) cost about as
/// much as the project look-up. The same bytes as <see cref="Results.Json(object?, System.Text.Json.JsonSerializerOptions?, string?, int?)"/>
/// would write; an id that would need escaping (never one Kestrel made) still goes through the serializer.
/// </summary>
public static class IdAnswer
{
    private static readonly byte[] Opening = "{\"id\":\""u8.ToArray();
    private static readonly byte[] Closing = "\"}"u8.ToArray();

    public static IResult For(string id) => IsPlain(id) ? new Plain(id) : Results.Json(new { id }, KestrelJson.Options);

    /// <summary>Letters, digits and dashes: what event ids are, and nothing JSON would escape.</summary>
    private static bool IsPlain(string id) => id.Length <= 64 && !id.AsSpan().ContainsAnyExcept(PlainCharacters);

    private static readonly SearchValues<char> PlainCharacters =
        SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");

    private sealed class Plain(string id) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = Opening.Length + id.Length + Closing.Length;
            var writer = response.BodyWriter;
            writer.Write(Opening);
            Encoding.ASCII.GetBytes(id, writer);
            writer.Write(Closing);
            return writer.FlushAsync().AsTask();
        }
    }
}
