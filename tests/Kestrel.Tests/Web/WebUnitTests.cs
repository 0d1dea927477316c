using Kestrel.Tests.Support;
using Kestrel.Web;

namespace Kestrel.Tests.Web;

public sealed class WebUnitTests
{
    [Fact]
    public void An_empty_context_gets_no_heading()
    {
        // @sentry/node sends "cloud_resource": {} on a machine outside any cloud.
        var root = System.Text.Json.JsonDocument.Parse("""{"contexts":{"cloud_resource":{},"os":{"name":"Linux"},"app":null}}""").RootElement;
        var display = Kestrel.Issues.Pages.EventDisplay.From(root);
        Assert.Equal(["os"], display.Contexts.Select(c => c.Name));
    }

    [Fact]
    public void The_login_throttle_refuses_a_client_for_the_rest_of_the_minute_after_five_failures()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(clock);
        var client = System.Net.IPAddress.Parse("203.0.113.9");
        var neighbour = System.Net.IPAddress.Parse("203.0.113.10");
        for (var i = 0; i < 4; i++) throttle.Failed(client);
        Assert.Null(throttle.WaitFor(client));
        clock.Now += TimeSpan.FromSeconds(20);
        throttle.Failed(client);
        Assert.Equal(TimeSpan.FromSeconds(40), throttle.WaitFor(client));
        Assert.Null(throttle.WaitFor(neighbour));
        clock.Now += TimeSpan.FromSeconds(40);
        Assert.Null(throttle.WaitFor(client));
        throttle.Failed(client); // a new window starts with one failure
        Assert.Null(throttle.WaitFor(client));
    }

    [Theory]
    [InlineData("/projects/app/issues?status=open", "/projects/app/issues?status=open")]
    [InlineData("//evil.example/x", "/projects")]
    [InlineData("/\\evil.example", "/projects")]
    [InlineData("https://evil.example/", "/projects")]
    [InlineData("javascript:alert(1)", "/projects")]
    [InlineData("/ok\r\nSet-Cookie: x=1", "/projects")]
    [InlineData("", "/projects")]
    [InlineData(null, "/projects")]
    [InlineData("/é?q=ü ü", "/%C3%A9?q=%C3%BC%20%C3%BC")]                 // a Location header is ASCII only
    [InlineData("/😀", "/%F0%9F%98%80")]
    public void Only_local_paths_are_followed_after_sign_in_or_a_change(string? next, string expected) =>
        Assert.Equal(expected, Page.LocalPathOr(next, "/projects"));

    [Fact]
    public void A_next_path_that_is_not_valid_unicode_is_not_followed() =>
        Assert.Equal("/projects", Page.LocalPathOr("/a" + '\ud800', "/projects"));
}
