using System.Text;
using System.Text.Json;
using Kestrel.Ingest;
using Kestrel.Platform;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kestrel.Tests.Ingest;

public sealed class IdAnswerTests
{
    [Theory]
    [InlineData("0f1e2d3c4b5a69788796a5b4c3d2e1f0")]
    [InlineData("c7f2a1d0-9e8b-4a3c-8d2e-1f0a9b8c7d6e")]
    public async Task An_event_id_is_answered_with_the_bytes_the_serializer_would_write(string id)
    {
        var (response, body) = await AnswerAsync(id);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.ContentType);
        Assert.Equal(JsonSerializer.Serialize(new { id }, KestrelJson.Options), body);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), response.ContentLength);
    }

    [Theory]
    [InlineData("</script><b>")]
    [InlineData("a\"b\\c")]
    [InlineData("é")]
    public async Task An_id_JSON_would_escape_still_comes_back_as_the_same_string(string id)
    {
        var (_, body) = await AnswerAsync(id);

        Assert.Equal(id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
        Assert.DoesNotContain("<", body);
    }

    private static async Task<(HttpResponse Response, string Body)> AnswerAsync(string id)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        var stream = new MemoryStream();
        context.Response.Body = stream;
        await IdAnswer.For(id).ExecuteAsync(context);
        return (context.Response, Encoding.UTF8.GetString(stream.ToArray()));
    }
}
