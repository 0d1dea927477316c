using System.Text.Json;
using Kestrel.Platform;
using ModelContextProtocol.Protocol;

namespace Kestrel.Mcp;

/// <summary>A tool's answer: structured content (the output schema's shape) plus its compact text, or a tool error.</summary>
public static class ToolResults
{
    public static CallToolResult Success<T>(T structured, string text) => new()
    {
        StructuredContent = JsonSerializer.SerializeToElement(structured, KestrelJson.Options),
        Content = [new TextContentBlock { Text = text }],
    };

    /// <summary>A tool error the agent reads and can correct: one sentence that names the argument and the reason.</summary>
    public static CallToolResult Error(string sentence) => new() { IsError = true, Content = [new TextContentBlock { Text = sentence }] };

    /// <summary>The same words whether the issue never existed or belongs to another project.</summary>
    public static CallToolResult UnknownIssue(long issueId) =>
        Error($"issue_id {issueId} is not an issue of this project. Use an id from list_errors.");

    public const string NoProjectSentence =
        "The project token of this connection is not valid (any more; it may have been rotated). Reconnect with the project's current token.";

    public static CallToolResult NoProject => Error(NoProjectSentence);
}
