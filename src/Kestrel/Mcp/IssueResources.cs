using System.Text.Json;
using Kestrel.Issues;
using Kestrel.SourceMaps;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>
/// Issues as MCP resources, which clients let a user attach to a conversation (Claude Code's <c>@</c>-mentions):
/// <c>resources/list</c> offers the open issues, most recently seen first, and the two templates of
/// <see cref="IssueUri"/> read an issue (exactly <c>get_error</c>'s answer, as Markdown) or one event in full.
/// </summary>
public static class IssueResources
{
    public const int PageSize = 50;

    public static readonly ResourceTemplate[] Templates =
    [
        new()
        {
            Name = "Kestrel issue", UriTemplate = IssueUri.IssueTemplate, MimeType = IssueMarkdown.MimeType,
            Description = "An error issue of this project, as get_error shows it: status, counts, resolution, and its latest events with "
                + "source-mapped stack traces, request, user, tags and breadcrumbs. Attach it to start fixing the error with it in context.",
        },
        new()
        {
            Name = "Kestrel event", UriTemplate = IssueUri.EventTemplate, MimeType = IssueMarkdown.MimeType,
            Description = "One event of an issue in full detail: exception chain, stack with source lines, request, user, tags and breadcrumbs.",
        },
    ];

    public static ValueTask<ListResourceTemplatesResult> ListTemplates(RequestContext<ListResourceTemplatesRequestParams> context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ListResourceTemplatesResult { ResourceTemplates = Templates });

    public static ValueTask<ListResourcesResult> List(RequestContext<ListResourcesRequestParams> context, CancellationToken cancellationToken)
    {
        var projectId = McpPrimitives.ProjectOf(context);
        var cursor = context.Params?.Cursor;
        if (cursor is not null && !IssueRules.IsListCursor(cursor))
            throw new McpProtocolException(IssueRules.CursorProblem + " Pass the nextCursor of the previous resources/list answer.", McpErrorCode.InvalidParams);
        var services = context.Services!;
        var page = services.GetRequiredService<IssueStore>().List(projectId, new IssueQuery("open", null, null, PageSize, cursor), services.GetRequiredService<TimeProvider>().GetUtcNow());
        return ValueTask.FromResult(new ListResourcesResult
        {
            Resources = page.Issues.Select(issue => ListEntry(ErrorSummary.From(issue))).ToList(),
            NextCursor = page.NextCursor,
        });
    }

    private static Resource ListEntry(ErrorSummary issue)
    {
        var title = IssueMarkdown.PickerTitle(issue);
        return new Resource
        {
            Uri = IssueUri.ForIssue(issue.Id), Name = title, Title = title, MimeType = IssueMarkdown.MimeType,
            Description = $"{issue.Status} {issue.Level}, {IssueMarkdown.EventCount(issue.EventCount)}, last seen {ErrorText.Time(issue.LastSeen)}",
        };
    }

    /// <summary>
    /// Answers <c>resources/read</c> for Kestrel's URIs as a request filter rather than the read handler: every
    /// other URI, and an issue or event this project does not have, passes on to the SDK's own answer for an
    /// unknown resource, so a foreign issue gets exactly the error a URI that never existed gets.
    /// </summary>
    public static McpRequestHandler<ReadResourceRequestParams, ReadResourceResult> ReadFilter(McpRequestHandler<ReadResourceRequestParams, ReadResourceResult> next) =>
        async (context, cancellationToken) =>
        {
            if (context.Params?.Uri is not { } uri || !IssueUri.IsKestrel(uri)) return await next(context, cancellationToken);
            if (IssueUri.Parse(uri) is not { } parsed) throw new McpProtocolException(IssueUri.Problem(uri), McpErrorCode.InvalidParams);
            var contents = parsed.EventId is null ? (await ReadIssueAsync(context, parsed.IssueId, cancellationToken))?.Contents : ReadEvent(context, parsed);
            return contents is null ? await next(context, cancellationToken) : new ReadResourceResult { Contents = [contents] };
        };

    /// <summary>
    /// An issue as the resource shows it, by calling the server's own <c>get_error</c> tool: the resource is that
    /// answer and cannot drift from it. Null when the issue is not one of this project's.
    /// </summary>
    public static async Task<IssueRead?> ReadIssueAsync<TParams>(RequestContext<TParams> context, long issueId, CancellationToken cancellationToken)
    {
        McpPrimitives.ProjectOf(context);
        var result = await McpPrimitives.CallToolAsync(context, "get_error", new Dictionary<string, JsonElement> { ["issue_id"] = JsonSerializer.SerializeToElement(issueId) }, cancellationToken);
        if (result.IsError == true || result.StructuredContent is not { } details) return null;
        var uri = IssueUri.ForIssue(issueId);
        var text = IssueMarkdown.Document($"Kestrel issue #{issueId}", McpPrimitives.Text(result));
        return new IssueRead(new TextResourceContents { Uri = uri, MimeType = IssueMarkdown.MimeType, Text = text }, details);
    }

    private static TextResourceContents? ReadEvent(RequestContext<ReadResourceRequestParams> context, IssueUri uri)
    {
        var projectId = McpPrimitives.ProjectOf(context);
        var services = context.Services!;
        if (services.GetRequiredService<IssueStore>().Get(projectId, uri.IssueId) is not { } issue) return null;
        if (services.GetRequiredService<ResourceStore>().Event(projectId, uri.IssueId, uri.EventId!) is not { } stored) return null;
        // The newest event of get_error is read the same way: resolved against maps that arrived after it (PRODUCT §7), in full.
        var resolved = services.GetRequiredService<SourceMapResolver>().ResolveForDisplay(projectId, stored.Event);
        var details = EventDetails.Read(resolved, stored.Id, stored.ReceivedAt, stored.Timestamp, stored.Level, full: true);
        var text = IssueMarkdown.Document($"Kestrel issue #{uri.IssueId}, event {uri.EventId}", ErrorText.Details(new ErrorDetails(issue, [details])));
        return new TextResourceContents { Uri = uri.ToString(), MimeType = IssueMarkdown.MimeType, Text = text };
    }
}

/// <summary>An issue read for a resource or a prompt: its Markdown contents, and get_error's structured answer.</summary>
public sealed record IssueRead(TextResourceContents Contents, JsonElement Details);
