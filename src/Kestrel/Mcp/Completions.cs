using System.Globalization;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Kestrel.Mcp;

/// <summary>
/// <c>completion/complete</c>: what a client's picker offers while a user types an argument. Issue ids match
/// by id prefix or by words of the title or culprit, most recently seen first, so typing "cart" finds the
/// issue raised in app/cart.js; event ids by prefix, within the issue already chosen.
/// </summary>
public static class Completions
{
    /// <summary>What <c>triage</c>'s query is most often, offered as the user starts typing it.</summary>
    private static readonly string[] Queries = ["is:unresolved", "is:regressed", "is:resolved", "is:ignored", "release:latest", "environment:production"];

    public static ValueTask<CompleteResult> Complete(RequestContext<CompleteRequestParams> context, CancellationToken cancellationToken)
    {
        var projectId = McpPrimitives.ProjectOf(context);
        var request = context.Params!;
        var typed = request.Argument.Value ?? "";
        var store = context.Services!.GetRequiredService<ResourceStore>();
        var completion = (request.Ref, request.Argument.Name) switch
        {
            (ResourceTemplateReference { Uri: IssueUri.IssueTemplate or IssueUri.EventTemplate }, "id") or
            (PromptReference { Name: IssuePrompts.FixError }, "issue_id") => Issues(store.MatchingIssues(projectId, "open", typed.Trim())),
            // A fix to verify belongs to an issue that was resolved, and may have regressed since: any status.
            (PromptReference { Name: IssuePrompts.VerifyFix }, "issue_id") => Issues(store.MatchingIssues(projectId, null, typed.Trim())),
            (ResourceTemplateReference { Uri: IssueUri.EventTemplate }, "event_id")
                when request.Context?.Arguments is { } given && given.TryGetValue("id", out var id) && IssueUri.ParseIssueId(id) is { } issueId =>
                Values(store.MatchingEvents(projectId, issueId, typed.Trim())),
            (PromptReference { Name: IssuePrompts.Triage }, "query") =>
                new Completion { Values = Queries.Where(q => q.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).ToList() },
            _ => new Completion(),
        };
        return ValueTask.FromResult(new CompleteResult { Completion = completion });
    }

    private static Completion Issues(IReadOnlyList<long> ids) => Values(ids.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToList());

    private static Completion Values(IReadOnlyList<string> values) => new()
    {
        Values = values.Take(ResourceStore.MaxCompletions).ToList(),
        HasMore = values.Count > ResourceStore.MaxCompletions,
    };
}
