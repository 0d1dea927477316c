using System.Net.Http.Headers;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Kestrel's own upload API as curl users call it: multipart, one part per file, the part's file name its path.</summary>
public static class UploadClient
{
    public static string ReleasePath(string release) => "/api/releases/" + Uri.EscapeDataString(release) + "/sourcemaps";

    public static Task<HttpResponseMessage> UploadAsync(this TestProject project, string release, params (string Name, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "file", name);
        }
        return project.SendAsync(HttpMethod.Post, ReleasePath(release), form);
    }

    /// <summary>Uploads files that must be accepted.</summary>
    public static async Task<JsonElement> UploadOkAsync(this TestProject project, string release, params (string Name, byte[] Content)[] files)
    {
        using var response = await project.UploadAsync(release, files);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The newest stored event of the project's only issue, as the REST API shows it.</summary>
    public static async Task<JsonElement> OnlyIssueLatestEventAsync(this TestProject project)
    {
        var issue = Assert.Single(await project.IssuesAsync());
        var events = await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events");
        return events.GetProperty("events")[0].GetProperty("event");
    }

    public static JsonElement[] Frames(this JsonElement e, string stack = "stacktrace") =>
        e.GetProperty("exception").GetProperty("values")[0].GetProperty(stack).GetProperty("frames").EnumerateArray().ToArray();
}
