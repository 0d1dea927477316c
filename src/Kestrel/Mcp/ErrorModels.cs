using System.ComponentModel;
using Kestrel.Issues;

namespace Kestrel.Mcp;

// The structured content of the tools' results. Their shapes are the tools' output schemas, so the
// descriptions here are what an agent reads about each field.

[Description("One issue of the list.")]
public sealed record ErrorSummary(long Id, string Title, string Type, string Status, long EventCount, DateTime LastSeen, string Culprit, string Level,
    [property: Description("Distinct users (user tag values) whose events are in this issue.")] long UsersAffected)
{
    public static ErrorSummary From(IssueView issue) =>
        new(issue.Id, issue.Title, issue.Type, issue.Status, issue.EventCount, issue.LastSeen, issue.Culprit, issue.Level, issue.UsersAffected);
}

public sealed record ErrorList(
    [property: Description("Issues, most recently seen first.")] IReadOnlyList<ErrorSummary> Issues,
    [property: Description("Pass as cursor to get the next page; absent on the last page.")] string? NextCursor);

public sealed record ErrorDetails(
    [property: Description("The issue with all its fields, resolution included when resolved.")] IssueView Issue,
    [property: Description("Its latest events, newest first. The first is shown in full; older ones without source context and breadcrumbs.")] IReadOnlyList<ErrorEvent> Events)
{
    [Description("The top 3 values of environment, release, browser, os and url across all the issue's events, with percentages; get_tag_values lists more.")]
    public IReadOnlyList<TagShare> Tags { get; init; } = [];
}

public sealed record ErrorEvent(string Id, DateTime Timestamp, DateTime ReceivedAt, string Level, string? Message, string? Platform,
    string? Release, string? Environment, string? Transaction,
    [property: Description("The exception chain: the exception raised first, then what caused it.")] IReadOnlyList<ErrorException> Exceptions,
    EventRequest? Request, EventUser? User, IReadOnlyDictionary<string, string>? Tags,
    [property: Description("The last breadcrumbs before the event, oldest first.")] IReadOnlyList<EventBreadcrumb>? Breadcrumbs);

public sealed record ErrorException(string? Type, string? Value, string? Module,
    [property: Description("Stack frames, innermost first: the frame that raised comes first.")] IReadOnlyList<ErrorFrame> Frames,
    [property: Description("Frames left out to keep the answer small.")] int OmittedFrames);

/// <summary>A stack frame. <see cref="AbsPath"/> is kept for a frame-resolution step; the answer shows <see cref="File"/>.</summary>
public sealed record ErrorFrame(string? Function, string? File, int? Line, int? Column, bool? InApp, string? Module,
    IReadOnlyList<string>? PreContext, string? ContextLine, IReadOnlyList<string>? PostContext)
{
    [System.Text.Json.Serialization.JsonIgnore] public string? AbsPath { get; init; }
}

public sealed record EventRequest(string? Method, string Url);

public sealed record EventUser(string? Id, string? Email, string? Username, string? IpAddress);

public sealed record EventBreadcrumb(DateTime? Timestamp, string? Type, string? Category, string? Level, string? Message,
    IReadOnlyDictionary<string, string>? Data);

public sealed record ErrorTrend(long IssueId, int Hours,
    [property: Description("Start of the first hour, UTC.")] DateTime From,
    [property: Description("Events per hour, oldest first, one entry per hour up to the current one.")] IReadOnlyList<long> Counts,
    long Total);
