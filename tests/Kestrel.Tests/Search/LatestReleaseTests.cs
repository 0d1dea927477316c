using Kestrel.Tests.Issues;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Search;

/// <summary>
/// <c>release:latest</c> is the release "next release" resolves after: the newest by version when both names are
/// semantic versions, else the one first seen last (PRODUCT §15), through the real server.
/// </summary>
public sealed class LatestReleaseTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private static async Task<string[]> FoundAsync(TestProject project, string query) =>
        (await project.IssuesAsync("?limit=200&query=" + Uri.EscapeDataString(query)))
            .Select(i => i.GetProperty("type").GetString()!).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task A_hotfix_of_an_older_version_seen_last_is_not_the_latest_release()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("latest-semver");
        await project.IngestAsync(ReleaseResolutionTests.Event("OldLineError", "shop@1.9.0"));
        await project.IngestAsync(ReleaseResolutionTests.Event("NewLineError", "shop@2.0.0"));
        await project.IngestAsync(ReleaseResolutionTests.Event("HotfixError", "shop@1.9.1")); // first seen after 2.0.0

        Assert.Equal(["NewLineError"], await FoundAsync(project, "release:latest"));
        Assert.Equal(["HotfixError", "OldLineError"], await FoundAsync(project, "!release:latest"));

        // Resolving in the next release bounds the fix by the same release.
        var hotfix = (await project.IssuesAsync("?query=HotfixError")).Single().GetProperty("id").GetInt64();
        var resolved = await project.PatchAsync(hotfix, new { status = "resolved", in_next_release = true });
        Assert.Equal("shop@2.0.0", resolved.GetProperty("resolution").GetProperty("afterRelease").GetString());
    }

    [Fact]
    public async Task Names_that_are_not_versions_go_by_first_seen_order()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("latest-shas");
        await project.IngestAsync(ReleaseResolutionTests.Event("FirstError", "f00dfeed"));
        await project.IngestAsync(ReleaseResolutionTests.Event("SecondError", "0badc0de"));
        await project.IngestAsync(ReleaseResolutionTests.Event("FirstError", "f00dfeed")); // seen again: still first seen first

        Assert.Equal(["SecondError"], await FoundAsync(project, "release:latest"));
    }

    [Fact]
    public async Task A_project_without_releases_has_no_issue_in_its_latest_release()
    {
        var project = await fixture.Kestrel.CreateProjectAsync("latest-none");
        await project.IngestAsync(ReleaseResolutionTests.Event("NoReleaseError", null));

        Assert.Empty(await FoundAsync(project, "release:latest"));
        Assert.Equal(["NoReleaseError"], await FoundAsync(project, "!release:latest"));
    }
}
