using System.Text.Json;
using Kestrel.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Kestrel.Tests.Mcp;

/// <summary>The SDK's own MCP client, connected to the real <c>kestrel mcp</c> process or to <c>/mcp</c> of the real server.</summary>
public static class McpConnections
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Starts <c>kestrel mcp</c> on <paramref name="dataDirectory"/> with the token in KESTREL_TOKEN.</summary>
    /// <param name="more">more environment, say the KESTREL_DATABASE_URL of a PostgreSQL database</param>
    public static async Task<McpClient> StdioAsync(string dataDirectory, string token, Action<string>? stderr = null,
        IReadOnlyDictionary<string, string>? more = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["KESTREL_DATA"] = dataDirectory,
            ["KESTREL_TOKEN"] = token,
            ["DOTNET_gcServer"] = "0",
        };
        // On a PostgreSQL test run, the database of the server whose data directory this is (Engines.DatabaseUrlFor).
        if (Engines.DatabaseUrlFor(dataDirectory) is { } url) environment["KESTREL_DATABASE_URL"] = url;
        foreach (var (key, value) in more ?? new Dictionary<string, string>()) environment[key] = value;
        // Nothing from the developer's shell leaks in, as with KestrelProcess.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("KESTREL_", StringComparison.Ordinal)))
            environment.TryAdd(key, null);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "kestrel-mcp",
            Command = "dotnet",
            Arguments = [KestrelProcess.Dll, "mcp"],
            EnvironmentVariables = environment,
            StandardErrorLines = stderr,
        });
        using var timeout = new CancellationTokenSource(Timeout);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    public static async Task<McpClient> HttpAsync(KestrelServer server, string token)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Address, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        });
        using var timeout = new CancellationTokenSource(Timeout);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    /// <summary>"stdio" (a <c>kestrel mcp</c> process on the server's data directory) or "http" (the server's /mcp).</summary>
    public static Task<McpClient> ConnectAsync(string transport, TestProject project) => transport switch
    {
        "stdio" => StdioAsync(project.Server.DataDirectory, project.Token),
        "http" => HttpAsync(project.Server, project.Token),
        _ => throw new ArgumentException("unknown transport " + transport, nameof(transport)),
    };

    public static async Task<CallToolResult> CallAsync(this McpClient client, string tool, object? arguments = null)
    {
        var dictionary = arguments is null
            ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments))!;
        using var timeout = new CancellationTokenSource(Timeout);
        return await client.CallToolAsync(tool, dictionary, cancellationToken: timeout.Token);
    }

    /// <summary>Calls a tool that must succeed; returns its structured content.</summary>
    public static async Task<JsonElement> CallOkAsync(this McpClient client, string tool, object? arguments = null)
    {
        var result = await client.CallAsync(tool, arguments);
        Assert.True(result.IsError != true, $"{tool} failed: {result.Text()}");
        Assert.NotNull(result.StructuredContent);
        return result.StructuredContent.Value;
    }

    /// <summary>Calls a tool that must fail; returns its error text.</summary>
    public static async Task<string> CallErrorAsync(this McpClient client, string tool, object? arguments = null)
    {
        var result = await client.CallAsync(tool, arguments);
        Assert.True(result.IsError == true, $"{tool} should have failed but answered: {result.Text()}");
        return result.Text();
    }

    public static string Text(this CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
}
