using Kestrel.Mcp;

namespace Kestrel.Tests.Mcp;

public sealed class McpOriginsTests
{
    [Theory]
    [InlineData("https://errors.example.com", "https://errors.example.com")]
    [InlineData("https://ERRORS.example.com", "https://errors.example.com/")]
    [InlineData("http://errors.example.com:8080", "http://errors.example.com:8080/kestrel")]
    [InlineData("http://localhost:3000", "https://errors.example.com")]
    [InlineData("http://127.0.0.1:8080", "https://errors.example.com")]
    [InlineData("http://[::1]:8080", "https://errors.example.com")]
    public void Kestrels_own_origin_and_loopback_origins_are_allowed(string origin, string publicUrl) =>
        Assert.True(McpOrigins.IsAllowed(origin, publicUrl));

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://errors.example.com")]            // another scheme
    [InlineData("https://errors.example.com:8443")]      // another port
    [InlineData("https://errors.example.com.evil.example")]
    [InlineData("http://localhost.evil.example")]        // a rebinding name that only looks local
    [InlineData("null")]
    [InlineData("file://")]
    [InlineData("https://errors.example.com/path")]
    [InlineData("https://user@errors.example.com")]
    [InlineData("not a url")]
    public void Other_origins_are_refused(string origin) =>
        Assert.False(McpOrigins.IsAllowed(origin, "https://errors.example.com"));
}
