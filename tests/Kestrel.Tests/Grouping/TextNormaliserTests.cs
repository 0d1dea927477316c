using Kestrel.Grouping;

namespace Kestrel.Tests.Grouping;

public sealed class TextNormaliserTests
{
    [Theory]
    [InlineData("user 42 not found", "user <num> not found")]
    [InlineData("order 9f1c2e3d-aaaa-4bbb-8ccc-123456789abc missing", "order <uuid> missing")]
    [InlineData("mail to bob.smith+x@example.co.uk bounced", "mail to <email> bounced")]
    [InlineData("GET https://api.example.com/v2/users/17?token=abc#top failed", "GET https://api.example.com/v<num>/users/<num>?<query> failed")]
    [InlineData("connect to 10.0.0.12:5432 refused", "connect to <ip>:<num> refused")]
    [InlineData("connect to fe80::1:2:3 refused", "connect to <ip> refused")]
    [InlineData("no key 'user_id' in dict", "no key '<value>' in dict")]
    [InlineData("column \"email\" is null", "column \"<value>\" is null")]
    [InlineData("object at 0x7ffd1234 freed", "object at <hex> freed")]
    [InlineData("commit deadbeef1234 not found", "commit <hex> not found")]
    [InlineData("took 12.5 ms", "took <num> ms")]
    [InlineData("plain words stay", "plain words stay")]
    public void Variable_parts_become_placeholders(string input, string expected) =>
        Assert.Equal(expected, TextNormaliser.Normalise(input));

    [Fact]
    public void Huge_input_is_cut_before_matching() =>
        Assert.True(TextNormaliser.Normalise(new string('a', 1_000_000)).Length <= TextNormaliser.MaxInput);

    [Fact]
    public void First_line_only() => Assert.Equal("first", TextNormaliser.FirstLine("  first \r\nsecond"));
}
