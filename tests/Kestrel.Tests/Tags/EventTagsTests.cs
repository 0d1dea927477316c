using System.Text.Json;
using Kestrel.Tags;

namespace Kestrel.Tests.Tags;

public sealed class EventTagsTests
{
    private static EventTagSet Read(string json, string level = "error")
    {
        using var document = JsonDocument.Parse(json);
        return EventTags.Read(document.RootElement, level);
    }

    private static Dictionary<string, string> Tags(string json) => Read(json).Tags.ToDictionary(t => t.Key, t => t.Value);

    [Fact]
    public void Derived_tags_come_from_fields_and_contexts_then_own_tags_follow()
    {
        var set = Read("""
            {"environment":"production","release":"shop@2.4.1","dist":"7","server_name":"web-3","transaction":"POST /checkout",
             "request":{"url":"https://shop.test/checkout?step=2#pay","headers":{"user-agent":"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"}},
             "contexts":{"os":{"name":"Ubuntu","version":"24.04"},"runtime":{"name":"node","version":"v22.1.0"},"device":{"family":"Desktop"}},
             "exception":{"values":[{"type":"Cause"},{"type":"Raised","mechanism":{"type":"onunhandledrejection","handled":false}}]},
             "user":{"email":"ann@example.com","ip_address":"10.0.0.1"},
             "tags":[["tier","pro"],["level","fake"]]}
            """);
        Assert.Equal([
            new("level", "error"), new("environment", "production"), new("release", "shop@2.4.1"), new("dist", "7"), new("server_name", "web-3"),
            new("transaction", "POST /checkout"), new("url", "https://shop.test/checkout"), new("browser", "Firefox 132"), new("browser.name", "Firefox"),
            new("os", "Ubuntu 24.04"), new("os.name", "Ubuntu"), new("runtime", "node v22.1.0"), new("device", "Desktop"),
            new("handled", "no"), new("mechanism", "onunhandledrejection"), new("user", "email:ann@example.com"), new KeyValuePair<string, string>("tier", "pro"),
        ], set.Tags);
        Assert.Equal(0, set.Dropped);
    }

    [Theory]
    [InlineData("""{"id":42,"username":"ann","email":"a@b.c","ip_address":"::1"}""", "id:42")]
    [InlineData("""{"username":"ann","email":"a@b.c","ip_address":"::1"}""", "username:ann")]
    [InlineData("""{"email":"a@b.c","ip_address":"::1"}""", "email:a@b.c")]
    [InlineData("""{"ip_address":"::1"}""", "ip:::1")]
    [InlineData("""{"id":"  ","ip_address":"::1"}""", "ip:::1")]
    public void The_user_tag_is_the_first_of_id_username_email_ip_with_its_prefix(string user, string expected) =>
        Assert.Equal(expected, Tags($$"""{"user":{{user}}}""")["user"]);

    [Fact]
    public void Browser_context_wins_over_the_header_and_keeps_the_major_version()
    {
        var tags = Tags("""{"contexts":{"browser":{"name":"Chrome","version":"130.0.6723.91"}},"request":{"headers":[["User-Agent","Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"]]}}""");
        Assert.Equal("Chrome 130", tags["browser"]);
        Assert.Equal("Linux", tags["os"]); // no os context: from the header
        Assert.Equal("yes", Tags("""{"exception":{"values":[{"mechanism":{"handled":true}}]}}""")["handled"]);
    }

    [Theory]
    [InlineData("USER-AGENT")]
    [InlineData("User\\u002DAgent")]
    public void The_user_agent_header_is_found_in_any_case_and_spelling(string name)
    {
        var tags = Tags("""{"request":{"headers":{"Accept":"*/*",""" + $"\"{name}\"" + """:"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"}}}""");
        Assert.Equal("Firefox 132", tags["browser"]);
        Assert.False(Tags("""{"request":{"headers":{"User-Agents":"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"}}}""").ContainsKey("browser"));
    }

    [Fact]
    public void Tags_over_a_limit_are_dropped_and_counted_never_refused()
    {
        var own = new Dictionary<string, object?>
        {
            ["ok"] = "  trimmed  ",
            ["bad key"] = "x",
            ["k_that_is_longer_than_thirty_two_chars"] = "x",
            ["long"] = new string('v', 201),
            ["exact"] = new string('v', 200),
            ["empty"] = "   ",
            ["newline"] = "a\nb",
            ["object"] = new { a = 1 },
            ["null"] = null,
            ["number"] = 5,
        };
        for (var i = 0; i < 60; i++) own["t" + i] = "v";
        var set = Read(JsonSerializer.Serialize(new { tags = own }));
        var tags = set.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal(EventTags.MaxTags, set.Tags.Count);
        Assert.Equal("trimmed", tags["ok"]);
        Assert.Equal(200, tags["exact"].Length);
        Assert.Equal("5", tags["number"]);
        Assert.Equal("error", tags["level"]);
        // 7 bad tags, and 60 + 4 good ones (level, ok, exact, number) for 50 places.
        Assert.Equal(7 + 64 - 50, set.Dropped);
    }
}
