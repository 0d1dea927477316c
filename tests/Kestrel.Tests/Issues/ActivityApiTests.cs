using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Issues;

/// <summary>GET /api/issues/{id}/activity and POST /api/issues/{id}/notes on the real server.</summary>
public sealed class ActivityApiTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private static async Task<long> IssueAsync(TestProject project)
    {
        await project.IngestAsync(Events.Exception("NotedError", "x"));
        return Assert.Single(await project.IssuesAsync()).GetProperty("id").GetInt64();
    }

    private static Task<HttpResponseMessage> PostNoteAsync(TestProject project, long id, string body, string? token = null) =>
        project.SendAsync(HttpMethod.Post, $"/api/issues/{id}/notes", new StringContent(body, Encoding.UTF8, "application/json"), token);

    private static async Task<string> ErrorAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task Notes_and_status_changes_appear_newest_first_with_who_made_them()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("activity");
        var id = await IssueAsync(project);
        using (var added = await PostNoteAsync(project, id, """{"text": "Only on Safari <script>alert(1)</script>"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var note = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("note", note.GetProperty("kind").GetString());
            Assert.Equal("api", note.GetProperty("by").GetString());
        }
        await project.PatchAsync(id, new { status = "ignored", reason = "third-party script" });
        await project.PatchAsync(id, new { status = "open" });
        await project.PatchAsync(id, new { status = "open" });       // already open: nothing to log

        var activity = (await project.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity").EnumerateArray().ToArray();
        Assert.Equal(["reopened", "ignored", "note", "created"], activity.Select(a => a.GetProperty("kind").GetString()));
        Assert.Equal("third-party script", activity[1].GetProperty("reason").GetString());
        Assert.Equal("Only on Safari <script>alert(1)</script>", activity[2].GetProperty("note").GetString());
        Assert.All(activity[..3], a => Assert.Equal("api", a.GetProperty("by").GetString()));

        // Paged by cursor, newest first.
        var first = await project.GetJsonAsync($"/api/issues/{id}/activity?limit=3");
        Assert.Equal(3, first.GetProperty("activity").GetArrayLength());
        var rest = await project.GetJsonAsync($"/api/issues/{id}/activity?limit=3&cursor={first.GetProperty("nextCursor").GetString()}");
        Assert.Equal("created", Assert.Single(rest.GetProperty("activity").EnumerateArray().ToArray()).GetProperty("kind").GetString());
        Assert.False(rest.TryGetProperty("nextCursor", out _));
    }

    [Theory]
    [InlineData("{}", "text is required")]
    [InlineData("""{"text": "   "}""", "text is required")]
    [InlineData("""{"text": 42}""", "The body must be a JSON object")]
    [InlineData("not json", "The body must be a JSON object")]
    [InlineData("", "The body must be a JSON object")]
    public async Task Bad_notes_get_400_naming_the_field_and_nothing_is_written(string body, string expected)
    {
        var project = await fixture.Kestrel.CreateProjectAsync("bad-notes");
        var id = await IssueAsync(project);
        using var response = await PostNoteAsync(project, id, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(expected, await ErrorAsync(response));
        Assert.Equal(1, (await project.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity").GetArrayLength());
    }

    [Fact]
    public async Task A_note_may_hold_4000_characters_and_no_more()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("long-notes");
        var id = await IssueAsync(project);
        using (var ok = await project.SendAsync(HttpMethod.Post, $"/api/issues/{id}/notes", JsonContent.Create(new { text = new string('n', 4000) })))
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        using var tooLong = await project.SendAsync(HttpMethod.Post, $"/api/issues/{id}/notes", JsonContent.Create(new { text = new string('n', 4001) }));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("text must be at most 4000 characters; this one has 4001.", await ErrorAsync(tooLong));
    }

    [Fact]
    public async Task Another_projects_token_gets_404_and_no_token_401_on_every_new_endpoint()
    {
        var alpha = await fixture.Kestrel.CreateProjectAsync("alpha-activity");
        var beta = await fixture.Kestrel.CreateProjectAsync("beta-activity");
        var id = await IssueAsync(alpha);
        using (var read = await beta.SendAsync(HttpMethod.Get, $"/api/issues/{id}/activity"))
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        using (var write = await PostNoteAsync(beta, id, """{"text": "planted"}"""))
            Assert.Equal(HttpStatusCode.NotFound, write.StatusCode);
        using (var resolve = await beta.SendAsync(HttpMethod.Patch, $"/api/issues/{id}", JsonContent.Create(new { status = "resolved", in_next_release = true })))
            Assert.Equal(HttpStatusCode.NotFound, resolve.StatusCode);
        foreach (var (method, path) in new[] { (HttpMethod.Get, $"/api/issues/{id}/activity"), (HttpMethod.Post, $"/api/issues/{id}/notes") })
        {
            using var anonymous = await fixture.Kestrel.Http.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(new { text = "x" }) });
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var publicKey = await alpha.SendAsync(method, path, JsonContent.Create(new { text = "x" }), token: alpha.PublicKey);
            Assert.Equal(HttpStatusCode.Forbidden, publicKey.StatusCode);
        }
        var activity = (await alpha.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity");
        Assert.Equal("created", Assert.Single(activity.EnumerateArray().ToArray()).GetProperty("kind").GetString());
        using (var unknown = await alpha.SendAsync(HttpMethod.Get, "/api/issues/999999/activity"))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
