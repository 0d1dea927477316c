using Kestrel.Issues;

namespace Kestrel.Tests.Issues;

public sealed class VersionOrderTests
{
    private static bool Newer(string a, string b, long seenA = 1, long seenB = 2) => VersionOrder.IsNewer(new(a, seenA), new(b, seenB));

    [Theory]
    [InlineData("2.4.1", "2.4.0")]
    [InlineData("2.10.0", "2.9.9")]                  // numbers, not text
    [InlineData("my-app@2.4.1", "my-app@2.4.0")]
    [InlineData("@scope/pkg@3.0.0", "2.99.0")]       // a package prefix is ignored
    [InlineData("2.0.0", "2.0.0-rc.1")]              // a pre-release is older than its release
    [InlineData("2.0.0-rc.2", "2.0.0-rc.1")]
    [InlineData("2.0.0-rc.10", "2.0.0-rc.9")]        // numeric identifiers compare as numbers
    [InlineData("2.0.0-beta", "2.0.0-alpha")]
    [InlineData("2.0.0-alpha.beta", "2.0.0-alpha.1")] // words rank above numbers
    [InlineData("2.0.0-alpha.1", "2.0.0-alpha")]      // more identifiers are newer
    [InlineData("v1.3", "v1.2.9")]
    [InlineData("1.2.3.4", "1.2.3")]
    [InlineData("43", "42")]
    public void Semantic_versions_compare_as_versions_whatever_order_they_were_seen(string newer, string older)
    {
        Assert.True(Newer(newer, older, seenA: 1, seenB: 2));   // seen first, still newer
        Assert.False(Newer(older, newer, seenA: 2, seenB: 1));
    }

    [Theory]
    [InlineData("1.0.0+build.1", "1.0.0+build.2")]   // build metadata never orders
    [InlineData("2.4", "2.4.0")]
    [InlineData("app@1.0.0", "1.0.0")]
    [InlineData("2.4.1", "2.4.1")]
    public void Equal_versions_are_neither_newer_nor_older(string a, string b)
    {
        Assert.False(Newer(a, b, 1, 2));
        Assert.False(Newer(b, a, 1, 2));
        Assert.Equal(0, VersionOrder.Compare(new(a, 5), new(b, 9)));
    }

    [Theory]
    [InlineData("a1b2c3d", "f00dfeed")]              // commit SHAs
    [InlineData("2026-01-31", "nightly")]
    [InlineData("2.4.1", "release-candidate")]       // one parses, the other does not: first-seen order
    [InlineData("1.2.3.4.5", "1.0.0")]               // five components are not a version Kestrel orders
    [InlineData("1..2", "1.0")]
    [InlineData("1.0.0-", "1.0.0")]
    public void Otherwise_the_release_seen_later_is_newer(string first, string later)
    {
        Assert.True(Newer(later, first, seenA: 20, seenB: 10));
        Assert.False(Newer(first, later, seenA: 10, seenB: 20));
    }

    [Fact]
    public void A_release_never_seen_is_newer_than_any_seen_one_when_names_do_not_order_it()
    {
        Assert.True(VersionOrder.IsNewer(new("deploy-x", long.MaxValue), new("deploy-y", 7)));
        Assert.False(VersionOrder.IsNewer(new("1.0.0", long.MaxValue), new("2.0.0", 7)));
    }

    [Fact]
    public void Newest_picks_the_newest_by_version_and_falls_back_to_first_seen()
    {
        Assert.Equal("2.10.0", VersionOrder.Newest([new("2.9.0", 1), new("2.10.0", 2), new("2.10.0-rc.1", 3)])?.Name);
        Assert.Equal("c", VersionOrder.Newest([new("a", 1), new("b", 2), new("c", 3)])?.Name);
        Assert.Null(VersionOrder.Newest([]));
    }

    [Theory]
    [InlineData("my-app@2.4.1+abc", new long[] { 2, 4, 1, 0 }, new string[0])]
    [InlineData("3.0.0-rc.1", new long[] { 3, 0, 0, 0 }, new[] { "rc", "1" })]
    public void Parse_reads_components_and_pre_release(string name, long[] numbers, string[] pre)
    {
        var version = VersionOrder.Parse(name)!;
        Assert.Equal(numbers, version.Numbers);
        Assert.Equal(pre, version.PreRelease);
    }

    [Fact]
    public void The_regression_rule_reopens_only_for_newer_releases_and_events_without_one()
    {
        SeenRelease Seen(string name) => new(name, name switch { "old-sha" => 1, "new-sha" => 3, _ => 2 });
        var inRelease = new Regressions.Bound("2.4.1", false, null);
        Assert.False(Regressions.Reopens(inRelease, "2.4.0", Seen));
        Assert.False(Regressions.Reopens(inRelease, "2.4.1", Seen));
        Assert.True(Regressions.Reopens(inRelease, "2.4.2", Seen));
        Assert.True(Regressions.Reopens(inRelease, null, Seen));            // no release: today's rule

        var next = new Regressions.Bound(null, true, "2.4.0");
        Assert.False(Regressions.Reopens(next, "2.4.0", Seen));
        Assert.False(Regressions.Reopens(next, "2.3.9", Seen));
        Assert.True(Regressions.Reopens(next, "2.4.1", Seen));
        Assert.True(Regressions.Reopens(new Regressions.Bound(null, true, null), "0.0.1", Seen)); // no release seen when resolved

        var plain = new Regressions.Bound(null, false, null);
        Assert.True(Regressions.Reopens(plain, "0.0.1", Seen));             // resolved without a release: today's rule

        var bySha = new Regressions.Bound("mid-sha", false, null);
        Assert.False(Regressions.Reopens(bySha, "old-sha", Seen));
        Assert.True(Regressions.Reopens(bySha, "new-sha", Seen));
    }
}
