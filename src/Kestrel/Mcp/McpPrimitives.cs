using System.Text.Json;
using Kestrel.Platform;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>
/// What the MCP server offers besides tools (PRODUCT §9): issues as resources, completion of issue ids, and the
/// prompts, on both transports. Each reads the caller's project as the tools do, from the message's user.
/// </summary>
public static class McpPrimitives
{
    public static IMcpServerBuilder WithResourcesAndPrompts(this IMcpServerBuilder builder)
    {
        builder.Services.TryAddSingleton<ResourceStore>();
        builder.Services.TryAddSingleton<FixEvidence>();
        return builder
            .WithListResourceTemplatesHandler(IssueResources.ListTemplates)
            .WithListResourcesHandler(IssueResources.List)
            .WithCompleteHandler(Completions.Complete)
            .WithPrompts<IssuePrompts>()
            .WithRequestFilters(filters => filters
                .AddListResourcesFilter(Busy)
                .AddReadResourceFilter(Busy)
                .AddReadResourceFilter(IssueResources.ReadFilter)
                .AddCompleteFilter(Busy)
                .AddGetPromptFilter(Busy)
                .AddGetPromptFilter(IssuePrompts.RequiredArguments));
    }

    /// <summary>A busy or full database, or a stopping server, is said in words, as the tools and the REST API's 503 do.</summary>
    private static McpRequestHandler<TParams, TResult> Busy<TParams, TResult>(McpRequestHandler<TParams, TResult> next) =>
        async (context, cancellationToken) =>
        {
            try { return await next(context, cancellationToken); }
            catch (Exception e) when (ErrorHandling.Passes(e) is { } message)
            {
                throw new McpProtocolException(message, McpErrorCode.InternalError);
            }
        };

    /// <summary>The caller's project; a message without a valid project token gets the tools' words for it.</summary>
    public static long ProjectOf(MessageContext context) =>
        McpCaller.ProjectId(context.User) ?? throw new McpProtocolException(ToolResults.NoProjectSentence, McpErrorCode.InvalidRequest);

    /// <summary>
    /// Calls one of this server's tools for the same caller, so a resource or prompt shows exactly what the tool
    /// answers. The tool's argument checks run as on a client's call; its result comes back unchanged.
    /// </summary>
    public static async Task<CallToolResult> CallToolAsync<TParams>(RequestContext<TParams> context, string name,
        Dictionary<string, JsonElement> arguments, CancellationToken cancellationToken)
    {
        if (context.Server.ServerOptions.ToolCollection is not { } tools || !tools.TryGetPrimitive(name, out var tool))
            throw new InvalidOperationException($"The {name} tool is not registered.");
        var call = new RequestContext<CallToolRequestParams>(context.Server, context.JsonRpcRequest, new CallToolRequestParams { Name = name, Arguments = arguments })
        {
            User = context.User,
            Services = context.Services,
            MatchedPrimitive = tool,
        };
        if (ToolArguments.Problem(tool.ProtocolTool, arguments) is { } problem) return ToolResults.Error(problem);
        return await tool.InvokeAsync(call, cancellationToken);
    }

    public static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(block => block.Text));
}
