using Kestrel.Grouping;

namespace Kestrel.Tests.Grouping;

public sealed class FrameNormaliserTests
{
    [Theory]
    [InlineData("https://cdn.example.com/static/js/app.3f9a2c1b.js?v=3#L1", "/static/js/app.<hash>.js")]
    [InlineData("https://other-cdn.net/static/js/app.77aa88bb.js", "/static/js/app.<hash>.js")]
    [InlineData("/_next/static/chunks/pages/index-a1b2c3d4e5f6a7b8.js", "/_next/static/chunks/pages/index-<hash>.js")]
    [InlineData("C:\\build\\src\\Orders.cs", "C:/build/src/Orders.cs")]
    [InlineData("app/models/user.py", "app/models/user.py")]
    [InlineData("webpack-internal:///./src/App.tsx", "/./src/App.tsx")]
    [InlineData(null, "")]
    public void Files_lose_hosts_queries_and_build_hashes(string? input, string expected) =>
        Assert.Equal(expected, FrameNormaliser.File(input));

    [Theory]
    [InlineData("<Main>b__0_1", "<Main>b__n_n")]
    [InlineData("Program.<>c__DisplayClass5_0.<Run>b__2", "Program.<>c__DisplayClassn_n.<Run>b__n")]
    [InlineData("handler at 0xdeadbeef", "handler at <hex>")]
    [InlineData("  render  ", "render")]
    [InlineData("getUser2", "getUser2")]
    public void Functions_lose_compiler_ordinals_and_addresses(string input, string expected) =>
        Assert.Equal(expected, FrameNormaliser.Function(input));
}
