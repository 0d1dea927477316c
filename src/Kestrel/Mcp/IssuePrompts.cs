using System.ComponentModel;
using System.Text;
using Kestrel.Issues;
using Kestrel.Search;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>
/// The prompts (offered by clients as slash commands): whole workflows over the tools. Each puts the data it
/// starts from in front of the agent (an issue as the embedded resource, lists inside a fenced data block,
/// both trimmed as the tools trim) and then says, in Kestrel's own words outside that data, what to do.
/// </summary>
public sealed class IssuePrompts(IssueStore issues, TrendStore trends, FixEvidence fixes, TimeProvider time)
{
    public const string FixError = "fix_error";
    public const string Triage = "triage";
    public const string VerifyFix = "verify_fix";
    public const string DefaultQuery = "is:unresolved";
    public const int TriageLimit = 25;
    private const string IssueIdText = "The issue's id: a number from list_errors or from the kestrel://issues resources, e.g. 42.";

    [McpServerPrompt(Name = FixError, Title = "Fix an error")]
    [Description("Fix one error from Kestrel end to end: the issue with its stack trace, then the steps to find the code, reproduce it in a test, fix it, commit, mark it resolved with the commit (and the next release, when the project has releases), and leave the root cause as a note. Use it when you know which issue to fix.")]
    public async Task<IEnumerable<PromptMessage>> FixErrorPrompt(RequestContext<GetPromptRequestParams> context,
        [Description(IssueIdText)] string issue_id, CancellationToken cancellationToken)
    {
        var (issueId, read) = await ReadAsync(context, issue_id, cancellationToken);
        return [Attached(read), Said(PromptText.FixError(issueId, fixes.UsesReleases(McpPrimitives.ProjectOf(context))))];
    }

    [McpServerPrompt(Name = Triage, Title = "Triage errors")]
    [Description("Triage this project's errors: the issues matching a query with their event counts and how they trend, and the instruction to rank them by impact, set noise aside with a reason, and leave a note on each one looked at. Use it to decide what to fix first.")]
    public IEnumerable<PromptMessage> TriagePrompt(RequestContext<GetPromptRequestParams> context,
        [Description("Which issues, in list_errors' search syntax: e.g. is:unresolved (the default), is:regressed, environment:production release:latest, users:>10, or words of the title or culprit.")] string? query = null)
    {
        var projectId = McpPrimitives.ProjectOf(context);
        query = string.IsNullOrWhiteSpace(query) ? DefaultQuery : query.Trim();
        if (SearchParser.TryParse(query, out var search) is { } problem) throw new McpProtocolException(problem, McpErrorCode.InvalidParams);
        var page = issues.List(projectId, new IssueQuery(null, null, search, TriageLimit, null), time.GetUtcNow());
        var list = new ErrorList(page.Issues.Select(ErrorSummary.From).ToList(), null);

        var data = new StringBuilder().Append("query: ").Append(ErrorText.Clean(query)).Append('\n').Append(ErrorText.List(list, null));
        if (page.NextCursor is not null) data.Append("(more issues match than these ").Append(TriageLimit).Append(")\n");
        if (list.Issues.Count > 0) data.Append("\nevents in the last 24 hours, and in the 24 hours before:\n");
        foreach (var issue in list.Issues)
        {
            if (trends.Hourly(projectId, issue.Id, 48, time.GetUtcNow()) is not { } trend) continue;
            long before = trend.Counts.Take(24).Sum(), recent = trend.Counts.Skip(24).Sum();
            data.Append('#').Append(issue.Id).Append(": ").Append(recent).Append(" (before: ").Append(before).Append(")\n");
        }
        return [Said(PromptText.Triage(IssueMarkdown.DataBlock(data.ToString()), list.Issues.Count))];
    }

    [McpServerPrompt(Name = VerifyFix, Title = "Verify a fix")]
    [Description("Check whether the fix of a resolved error held: the issue with its resolution (commit, note, release, and an earlier fix that did not hold), its events per hour since the fix, and the releases and events that came after it, each marked newer than the fix's release or not, then the instruction to say whether the fix held and why. Use it some time after a fix was released.")]
    public async Task<IEnumerable<PromptMessage>> VerifyFixPrompt(RequestContext<GetPromptRequestParams> context,
        [Description(IssueIdText)] string issue_id, CancellationToken cancellationToken)
    {
        var (issueId, read) = await ReadAsync(context, issue_id, cancellationToken);
        var projectId = McpPrimitives.ProjectOf(context);
        var issue = issues.Get(projectId, issueId) ?? throw UnknownIssue(issueId);
        var data = fixes.Describe(projectId, issue, time.GetUtcNow())
            ?? throw new McpProtocolException($"issue #{issueId} is {issue.Status} and was never resolved: there is no fix to verify. Use fix_error to fix it.", McpErrorCode.InvalidParams);
        return [Attached(read), Said(PromptText.VerifyFix(issueId, IssueMarkdown.DataBlock(data)))];
    }

    /// <summary>
    /// A prompt called without a required argument gets a sentence naming it (the SDK's own binding failure says
    /// only that something went wrong), as the tools' arguments do.
    /// </summary>
    public static McpRequestHandler<GetPromptRequestParams, GetPromptResult> RequiredArguments(McpRequestHandler<GetPromptRequestParams, GetPromptResult> next) =>
        (context, cancellationToken) =>
        {
            if (context.MatchedPrimitive is McpServerPrompt prompt)
                foreach (var argument in prompt.ProtocolPrompt.Arguments ?? [])
                    if (argument.Required == true && (context.Params?.Arguments is not { } given || !given.TryGetValue(argument.Name, out var value)
                            || value.ValueKind != System.Text.Json.JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString())))
                        throw new McpProtocolException($"{argument.Name} is required: {argument.Description}", McpErrorCode.InvalidParams);
            return next(context, cancellationToken);
        };

    private static async Task<(long IssueId, IssueRead Read)> ReadAsync(RequestContext<GetPromptRequestParams> context, string issueIdText, CancellationToken cancellationToken)
    {
        McpPrimitives.ProjectOf(context);
        if (IssueUri.ParseIssueId(issueIdText.Trim()) is not { } issueId)
            throw new McpProtocolException("issue_id must be an issue's id, a whole number such as 42, from list_errors.", McpErrorCode.InvalidParams);
        var read = await IssueResources.ReadIssueAsync(context, issueId, cancellationToken) ?? throw UnknownIssue(issueId);
        return (issueId, read);
    }

    /// <summary>The tools' words for an issue that is not this project's.</summary>
    private static McpProtocolException UnknownIssue(long issueId) =>
        new(McpPrimitives.Text(ToolResults.UnknownIssue(issueId)), McpErrorCode.InvalidParams);

    private static PromptMessage Attached(IssueRead read) => new() { Role = Role.User, Content = new EmbeddedResourceBlock { Resource = read.Contents } };

    private static PromptMessage Said(string text) => new() { Role = Role.User, Content = new TextContentBlock { Text = text } };
}
