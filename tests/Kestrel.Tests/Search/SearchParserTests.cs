using Kestrel.Search;

namespace Kestrel.Tests.Search;

public sealed class SearchParserTests
{
    private static IReadOnlyList<SearchTerm> Parse(string text)
    {
        Assert.Null(SearchParser.TryParse(text, out var query));
        return query.Terms;
    }

    [Fact]
    public void Every_form_reads_as_its_term()
    {
        var terms = Parse("""is:unresolved is:regressed level:error browser:"Chrome 130" url:*checkout* release:2.4.* !environment:dev has:user !has:device """
            + """release:latest user.email:ann@example.com firstSeen:-24h lastSeen:+7d timesSeen:>100 users:<=3 Payment "two words" !noise""");
        Assert.Equal<SearchTerm>([
            new StatusTerm("open", false),
            new StatusTerm("regressed", false),
            new TagTerm("level", "error", false, false),
            new TagTerm("browser", "Chrome 130", false, false),
            new TagTerm("url", "*checkout*", true, false),
            new TagTerm("release", "2.4.*", true, false),
            new TagTerm("environment", "dev", false, true),
            new HasTagTerm("user", false),
            new HasTagTerm("device", true),
            new LatestReleaseTerm(false),
            new TagTerm("user", "email:ann@example.com", false, false),
            new AgeTerm(IssueTime.FirstSeen, true, TimeSpan.FromHours(24), false),
            new AgeTerm(IssueTime.LastSeen, false, TimeSpan.FromDays(7), false),
            new CountTerm(IssueCount.TimesSeen, ">", 100, false),
            new CountTerm(IssueCount.Users, "<=", 3, false),
            new TextTerm("Payment", false),
            new TextTerm("two words", false),
            new TextTerm("noise", true),
        ], terms);
    }

    [Theory]
    [InlineData("timesSeen:5", "=", 5)]
    [InlineData("timesSeen:=5", "=", 5)]
    [InlineData("timesSeen:>=5", ">=", 5)]
    [InlineData("TIMESSEEN:<5", "<", 5)]
    public void Comparisons_take_every_operator(string text, string op, long value) =>
        Assert.Equal(new CountTerm(IssueCount.TimesSeen, op, value, false), Assert.Single(Parse(text)));

    [Theory]
    [InlineData("firstSeen:-30m", 30 * 60)]
    [InlineData("firstSeen:-2w", 14 * 86400)]
    [InlineData("firstSeen:-1d", 86400)]
    public void Ages_take_every_unit(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Assert.IsType<AgeTerm>(Assert.Single(Parse(text))).Span);

    [Fact]
    public void Quotes_escape_quotes_and_backslashes_and_keep_colons_and_stars_in_values()
    {
        Assert.Equal(new TagTerm("message", "say \"hi\" \\ now", false, false), Assert.Single(Parse("""message:"say \"hi\" \\ now" """)));
        Assert.Equal(new TagTerm("url", "https://x.test/a", false, false), Assert.Single(Parse("url:https://x.test/a")));
        Assert.Equal(new TagTerm("release", "latest", false, false), Assert.Single(Parse("""release:"latest" """)));
        Assert.Equal(new TextTerm("TypeError: x", false), Assert.Single(Parse("\"TypeError: x\"")));
        var search = SearchTerms.Tag("k", "a \"b\" \\c");
        Assert.Equal(new TagTerm("k", "a \"b\" \\c", false, false), Assert.Single(Parse(search)));
    }

    [Fact]
    public void Blank_queries_match_everything() => Assert.Empty(Parse("   "));

    [Theory]
    [InlineData("is:closed", "'is:closed'", "is: takes open")]
    [InlineData("timesSeen:>abc", "'timesSeen:>abc'", "a whole number")]
    [InlineData("users:lots", "'users:lots'", "a whole number")]
    [InlineData("firstSeen:24h", "'firstSeen:24h'", "- (within) or + (longer ago)")]
    [InlineData("lastSeen:-3y", "'lastSeen:-3y'", "m, h, d or w")]
    [InlineData("browser:", "'browser:'", "has no value")]
    [InlineData("browser:\"\"", "'browser:\"\"'", "needs a value")]
    [InlineData(":value", "':value'", "no key before the colon")]
    [InlineData("bad key!:x", "'key!:x'", "is not a tag key")]
    [InlineData("has:a/b", "'has:a/b'", "is not a tag key")]
    [InlineData("browser:\"Chrome", "'browser:\"Chrome'", "never closed")]
    [InlineData("a:\"b\"c", "'a:\"b\"c'", "text follows the closing quote")]
    [InlineData("!", "'!'", "! must be followed by a term")]
    [InlineData("key_that_is_far_too_long_for_a_tag:x", "key_that_is_far_too_long_for_a_tag", "is not a tag key")]
    public void Malformed_terms_are_refused_with_a_sentence_naming_the_term(string text, string named, string why)
    {
        var problem = SearchParser.TryParse(text, out var query);
        Assert.NotNull(problem);
        Assert.Contains(named, problem);
        Assert.Contains(why, problem);
        Assert.StartsWith("The search term", problem);
        Assert.Same(SearchQuery.All, query);
    }

    [Fact]
    public void Too_long_or_too_many_terms_are_refused()
    {
        Assert.Equal("query must be at most 400 characters.", SearchParser.TryParse(new string('a', 401), out _));
        Assert.Equal("query has 21 terms; at most 20 are allowed.", SearchParser.TryParse(string.Join(' ', Enumerable.Range(0, 21).Select(i => "w" + i)), out _));
    }
}
