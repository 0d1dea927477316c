using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Issues;

/// <summary>Resolving in a release through the REST API, then events from older and newer releases (PRODUCT §15).</summary>
public sealed class ReleaseResolutionTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    public static string Event(string type, string? release)
    {
        var json = JsonNode.Parse(Events.Exception(type, "boom"))!.AsObject();
        if (release is not null) json["release"] = release;
        return json.ToJsonString();
    }

    private static async Task<JsonElement> IssueAsync(TestProject project, long id) => await project.GetJsonAsync($"/api/issues/{id}");

    private static async Task<JsonElement[]> ActivityAsync(TestProject project, long id) =>
        (await project.GetJsonAsync($"/api/issues/{id}/activity")).GetProperty("activity").EnumerateArray().ToArray();

    private static async Task<long> FirstIssueAsync(TestProject project, string type, string? release)
    {
        await project.IngestAsync(Event(type, release));
        return (await project.IssuesAsync()).Single(i => i.GetProperty("type").GetString() == type).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task In_the_next_release_events_from_the_old_release_only_count_and_a_newer_one_reopens_with_the_previous_resolution()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("next-release");
        await project.IngestAsync(Event("OtherError", "2.3.0"));
        var id = await FirstIssueAsync(project, "NextError", "2.4.0");

        var resolved = await project.PatchAsync(id, new { status = "resolved", commit_sha = "a1b2c3d", note = "null check", in_next_release = true });
        var resolution = resolved.GetProperty("resolution");
        Assert.True(resolution.GetProperty("inNextRelease").GetBoolean());
        Assert.Equal("2.4.0", resolution.GetProperty("afterRelease").GetString()); // the newest release seen, not the last one

        // Stragglers on 2.4.0 and older: counted, not reopened.
        await project.IngestAsync(Event("NextError", "2.4.0"));
        await project.IngestAsync(Event("NextError", "2.3.9"));
        await project.IngestAsync(Event("NextError", "my-app@2.4.0+build7"));
        var still = await IssueAsync(project, id);
        Assert.Equal("resolved", still.GetProperty("status").GetString());
        Assert.Equal(4, still.GetProperty("eventCount").GetInt64());
        Assert.False(still.TryGetProperty("regressedAt", out _));

        // 2.4.1 is the next release: the fix did not hold.
        var regressing = await project.IngestAsync(Event("NextError", "2.4.1"));
        var reopened = await IssueAsync(project, id);
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.True(reopened.TryGetProperty("regressedAt", out _));
        var previous = reopened.GetProperty("previousResolution");
        Assert.Equal("a1b2c3d", previous.GetProperty("commitSha").GetString());
        Assert.Equal("null check", previous.GetProperty("note").GetString());
        Assert.True(previous.GetProperty("inNextRelease").GetBoolean());
        Assert.Equal("2.4.0", previous.GetProperty("afterRelease").GetString());
        Assert.True(previous.TryGetProperty("at", out _));

        var activity = await ActivityAsync(project, id);
        Assert.Equal(["regressed", "resolved", "created"], activity.Select(a => a.GetProperty("kind").GetString()));
        Assert.Equal(regressing, activity[0].GetProperty("eventId").GetString());
        Assert.Equal("2.4.1", activity[0].GetProperty("release").GetString());
        Assert.False(activity[0].TryGetProperty("by", out _));               // ingest did it
        Assert.Equal("api", activity[1].GetProperty("by").GetString());
        Assert.Equal("a1b2c3d", activity[1].GetProperty("commitSha").GetString());
        Assert.True(activity[1].GetProperty("inNextRelease").GetBoolean());
        Assert.Equal("null check", activity[1].GetProperty("note").GetString());
        Assert.True(activity[2].TryGetProperty("eventId", out _));
    }

    [Fact]
    public async Task In_a_release_semantic_versions_order_events_whatever_order_they_came_in()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("in-release");
        await project.IngestAsync(Event("Early", "3.0.0"));               // seen before 2.4.x, still newer
        var id = await FirstIssueAsync(project, "SemverError", "2.4.0");
        await project.PatchAsync(id, new { status = "resolved", in_release = "2.4.1" });

        foreach (var release in new[] { "2.4.0", "2.4.1", "2.4.1-rc.1", "app@2.4.1+ci" })
        {
            await project.IngestAsync(Event("SemverError", release));
            Assert.Equal("resolved", (await IssueAsync(project, id)).GetProperty("status").GetString());
        }
        await project.IngestAsync(Event("SemverError", "3.0.0"));
        var reopened = await IssueAsync(project, id);
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.Equal("2.4.1", reopened.GetProperty("previousResolution").GetProperty("inRelease").GetString());
        Assert.Equal(6, reopened.GetProperty("eventCount").GetInt64());

        // An event without a release keeps today's rule: it reopens.
        await project.PatchAsync(id, new { status = "resolved", in_release = "3.0.0" });
        await project.IngestAsync(Event("SemverError", null));
        Assert.Equal("open", (await IssueAsync(project, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Names_that_are_not_versions_are_ordered_by_when_Kestrel_first_saw_them()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("sha-releases");
        await project.IngestAsync(Event("Deploy", "deploy-9f8e7d"));      // the oldest deploy
        await project.IngestAsync(Event("Deploy", "deploy-1a2b3c"));
        var id = await FirstIssueAsync(project, "ShaError", "deploy-1a2b3c");
        await project.PatchAsync(id, new { status = "resolved", commit_sha = "abcdef0", in_release = "deploy-1a2b3c" });

        await project.IngestAsync(Event("ShaError", "deploy-9f8e7d"));    // older by first sight, newer by letters
        await project.IngestAsync(Event("ShaError", "deploy-1a2b3c"));
        Assert.Equal("resolved", (await IssueAsync(project, id)).GetProperty("status").GetString());

        await project.IngestAsync(Event("ShaError", "deploy-000000"));    // never seen before: the newest
        var reopened = await IssueAsync(project, id);
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.Equal("deploy-1a2b3c", reopened.GetProperty("previousResolution").GetProperty("inRelease").GetString());
    }

    [Fact]
    public async Task Without_a_release_any_event_reopens_as_before()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("no-release");
        var id = await FirstIssueAsync(project, "PlainError", "1.0.0");
        await project.PatchAsync(id, new { status = "resolved", commit_sha = "abcdef0" });
        await project.IngestAsync(Event("PlainError", "0.9.0"));
        var reopened = await IssueAsync(project, id);
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.Equal("abcdef0", reopened.GetProperty("previousResolution").GetProperty("commitSha").GetString());
        Assert.False(reopened.GetProperty("previousResolution").TryGetProperty("inRelease", out _));
    }

    [Theory]
    [InlineData("""{"status":"ignored","in_release":"2.4.1"}""", "in_release and in_next_release go only with status resolved.")]
    [InlineData("""{"status":"open","in_next_release":true}""", "in_release and in_next_release go only with status resolved.")]
    [InlineData("""{"status":"resolved","in_release":"2.4.1","in_next_release":true}""", "Give in_release or in_next_release, not both.")]
    [InlineData("""{"status":"resolved","in_release":""}""", "in_release must be a release name of 1 to 200 characters")]
    [InlineData("""{"status":"resolved","in_release":" 2.4.1"}""", "in_release must be a release name")]
    [InlineData("""{"status":"resolved","in_next_release":"yes"}""", "The body must be a JSON object")]
    public async Task Bad_release_arguments_get_400_and_change_nothing(string body, string expected)
    {
        var project = await fixture.Kestrel.CreateProjectAsync("bad-release");
        var id = await FirstIssueAsync(project, "BadError", "1.0.0");
        using var response = await project.SendAsync(HttpMethod.Patch, $"/api/issues/{id}", new StringContent(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(expected, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal("open", (await IssueAsync(project, id)).GetProperty("status").GetString());
        Assert.Single(await ActivityAsync(project, id));
    }

    [Fact]
    public async Task A_release_name_of_201_characters_is_refused()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("long-release");
        var id = await FirstIssueAsync(project, "LongError", null);
        using var response = await project.SendAsync(HttpMethod.Patch, $"/api/issues/{id}",
            JsonContent.Create(new { status = "resolved", in_release = new string('r', 201) }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
