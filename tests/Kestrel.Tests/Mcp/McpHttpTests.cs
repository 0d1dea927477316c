using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Mcp;

/// <summary>POST /mcp on the real server: the token is checked on every request, before any MCP message is read.</summary>
public sealed class McpHttpTests
{
    private const string Initialize = """
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}
        """;
    private const string ListTools = """{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}""";

    private static async Task<HttpResponseMessage> PostAsync(KestrelServer server, string body, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        if (authorization is not null) request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return await server.Http.SendAsync(request);
    }

    [Fact]
    public async Task Every_request_without_a_valid_project_token_gets_401_even_initialize_and_tools_list()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var rotated = await server.CreateProjectAsync("rotated");
        var rotation = await KestrelProcess.RunAsync(server.DataDirectory, null, "project", "rotate-token", rotated.Slug);
        Assert.Equal(0, rotation.ExitCode);

        foreach (var authorization in new string?[]
        {
            null,
            "Bearer kst_" + new string('A', 43),       // the shape of a token, of no project
            "Bearer not-a-token",
            "Bearer " + project.PublicKey,              // ingest only
            "Bearer " + rotated.Token,                  // replaced by rotate-token
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x:" + project.Token)),
        })
        {
            foreach (var body in new[] { Initialize, ListTools })
            {
                using var response = await PostAsync(server, body, authorization);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
                Assert.Contains("token", error);
            }
        }

        // Before routing's own answers too: a body that is not JSON, another method.
        using (var noContentType = await server.Http.PostAsync("/mcp", new ByteArrayContent("{}"u8.ToArray())))
            Assert.Equal(HttpStatusCode.Unauthorized, noContentType.StatusCode);
        using (var get = await server.Http.GetAsync("/mcp"))
            Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);

        // The same requests with the token are answered.
        using (var ok = await PostAsync(server, Initialize, "Bearer " + project.Token))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var ok = await PostAsync(server, ListTools, "bearer " + project.Token))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Contains("list_errors", await ok.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task The_sdk_client_cannot_connect_with_a_wrong_token()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => McpConnections.HttpAsync(server, "kst_" + new string('B', 43)));
        Assert.Contains("401", error.ToString());
        await using var client = await McpConnections.HttpAsync(server, project.Token);
        Assert.Equal(6, (await client.ListToolsAsync()).Count);
    }

    [Fact]
    public async Task A_tool_call_is_one_stateless_request_and_large_bodies_are_refused()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Exception("CurlError", "from curl"));

        // No initialize and no session: a single POST (as in docs/mcp.md) is enough.
        using (var response = await PostAsync(server, """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_errors","arguments":{"limit":5}}}""", "Bearer " + project.Token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Mcp-Session-Id"));
            Assert.Contains("CurlError: from curl", await response.Content.ReadAsStringAsync());
        }

        var padding = new string(' ', 300 * 1024);
        using (var response = await PostAsync(server, ListTools[..^1] + padding + "}", "Bearer " + project.Token))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
