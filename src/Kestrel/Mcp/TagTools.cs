using System.ComponentModel;
using Kestrel.Issues;
using Kestrel.Tags;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>The tag tool of PRODUCT §15: every value of one tag of an issue, for questions get_error's top values do not answer.</summary>
public sealed class TagTools(IssueStore issues, TagStore tags)
{
    [McpServerTool(Name = "get_tag_values", Title = "Get an error's tag values", ReadOnly = true, OpenWorld = false, UseStructuredContent = true, OutputSchemaType = typeof(TagValueList))]
    [Description("Lists the values one tag had across an issue's events, most frequent first, each with its count, percentage of the issue's events, and first and last seen. get_error already shows the top 3 environments, releases, browsers, operating systems and URLs; use this for the rest: which users are affected (key user), every release or URL, or any other tag (transaction, server_name, runtime, device, handled, mechanism, or the application's own tags).")]
    public CallToolResult GetTagValues(RequestContext<CallToolRequestParams> context,
        [Description("The issue's id, from list_errors.")] long issue_id,
        [Description("The tag key, such as user, release, browser, os, url, environment, transaction, or one of the application's own tags.")] string key,
        [Description("How many values, 1 to 100.")] long limit = 10)
    {
        if (McpCaller.ProjectId(context.User) is not { } projectId) return ToolResults.NoProject;
        if (!EventTags.IsKey(key)) return ToolResults.Error($"key must be 1 to {EventTags.MaxKeyLength} letters, digits or _ . : -, such as browser or user.");
        if (limit is < 1 or > 100) return ToolResults.Error("limit must be a whole number from 1 to 100.");
        if (issues.Get(projectId, issue_id) is not { } issue) return ToolResults.UnknownIssue(issue_id);
        var page = tags.Values(projectId, issue_id, key, (int)limit, null);
        var list = new TagValueList(issue.Id, key, issue.EventCount, page?.Count ?? 0, page?.UniqueValues ?? 0,
            page?.Values.Select(v => TagShareValue.From(v, issue.EventCount)).ToList() ?? []);
        return ToolResults.Success(list, ErrorText.TagValues(list));
    }
}
