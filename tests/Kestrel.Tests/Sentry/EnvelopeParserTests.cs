using System.Text;
using Kestrel.Ingest;

namespace Kestrel.Tests.Sentry;

/// <summary>The envelope framing of reference §2.1, byte by byte, and what each malformed envelope gets.</summary>
public sealed class EnvelopeParserTests
{
    private static (Envelope? Envelope, string? Error) Parse(string text) => Envelope.Parse(Encoding.UTF8.GetBytes(text));

    private static string Payload(string text, EnvelopeItem item) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text), item.Offset, item.Length);

    [Theory]
    [InlineData("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":12}\n{\"a\":\"b\\nc\"}\n")] // .NET: length, trailing newline
    [InlineData("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":12}\n{\"a\":\"b\\nc\"}")]   // length, no trailing newline
    [InlineData("{\"event_id\":\"9ec79c33-ec99-42ab-8353-589fcb2e04dc\"}\n{\"type\":\"event\"}\n{\"a\":\"b\\nc\"}")]        // Node: no length, no newline
    [InlineData("{\"event_id\":\"9EC79C33EC9942AB8353589FCB2E04DC\"}\n{\"type\":\"event\"}\n{\"a\":\"b\\nc\"}\n")]        // no length, trailing newline
    public void Both_length_styles_with_or_without_a_final_newline_give_the_same_item(string text)
    {
        var (envelope, error) = Parse(text);
        Assert.Null(error);
        Assert.Equal("9ec79c33ec9942ab8353589fcb2e04dc", envelope!.EventId);
        var item = Assert.Single(envelope.Items);
        Assert.Equal("event", item.Type);
        Assert.Equal("{\"a\":\"b\\nc\"}", Payload(text, item));
    }

    [Fact]
    public void A_binary_payload_with_a_length_may_hold_newlines_and_items_of_any_type_follow()
    {
        const string text = "{}\n{\"type\":\"attachment\",\"length\":6,\"filename\":\"a.txt\"}\nab\ncd\n\n{\"type\":\"future_thing\"}\nxyz\n{\"type\":\"event\"}\n{}";
        var (envelope, error) = Parse(text);
        Assert.Null(error);
        Assert.Null(envelope!.EventId);
        Assert.Equal(["attachment", "future_thing", "event"], envelope.Items.Select(i => i.Type));
        Assert.Equal("ab\ncd\n", Payload(text, envelope.Items[0]));
        Assert.Equal("xyz", Payload(text, envelope.Items[1]));
        Assert.Equal("{}", Payload(text, envelope.Items[2]));
    }

    [Fact]
    public void An_empty_payload_and_an_item_header_at_the_end_are_allowed()
    {
        var (envelope, error) = Parse("{}\n{\"type\":\"session\",\"length\":0}\n\n{\"type\":\"client_report\"}");
        Assert.Null(error);
        Assert.Equal([0, 0], envelope!.Items.Select(i => i.Length));
    }

    [Fact]
    public void Header_only_envelopes_and_the_dsn_header_are_read()
    {
        var (envelope, error) = Parse("{\"dsn\":\"https://abc@example.com/3\",\"event_id\":\"not-an-id\"}\n");
        Assert.Null(error);
        Assert.Equal("https://abc@example.com/3", envelope!.Dsn);
        Assert.Null(envelope.EventId); // not a uuid: the event's own id is used instead
        Assert.Empty(envelope.Items);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("\n{\"type\":\"event\"}\n{}", "empty")]
    [InlineData("[1]\n", "header (its first line) is not a JSON object")]
    [InlineData("{\"a\":\n", "header (its first line) is not a JSON object")]
    [InlineData("{}\nnot json\n{}", "header of item 1 is not a JSON object")]
    [InlineData("{}\n{\"length\":2}\n{}", "Item 1 has no type")]
    [InlineData("{}\n{\"type\":\"\"}\n{}", "Item 1 has no type")]
    [InlineData("{}\n{\"type\":\"event\",\"length\":-1}\n{}", "not a non-negative whole number")]
    [InlineData("{}\n{\"type\":\"event\",\"length\":\"2\"}\n{}", "not a non-negative whole number")]
    [InlineData("{}\n{\"type\":\"event\",\"length\":1.5}\n{}", "not a non-negative whole number")]
    [InlineData("{}\n{\"type\":\"event\",\"length\":99}\n{}", "says it is 99 bytes long, but the envelope ends 2 bytes after its header")]
    [InlineData("{}\n{\"type\":\"event\",\"length\":1}\n{}", "is not followed by a newline after its 1 bytes")]
    [InlineData("{}\n{\"type\":\"event\"}\n{}\n\n{\"type\":\"event\"}\n{}", "Item 2 has an empty header line")]
    [InlineData("{\"dsn\":\"\\ud800\"}\n", "not valid text")]
    public void Malformed_envelopes_are_refused_with_a_sentence_saying_why(string text, string expected)
    {
        var (envelope, error) = Parse(text);
        Assert.Null(envelope);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Invalid_utf8_in_a_header_is_refused()
    {
        var (envelope, error) = Envelope.Parse([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'\n']);
        Assert.Null(envelope);
        Assert.Contains("not a JSON object", error);
    }

    [Fact]
    public void More_items_than_the_limit_are_refused()
    {
        var text = "{}\n" + string.Concat(Enumerable.Repeat("{\"type\":\"session\"}\n{}\n", Envelope.MaxItems + 1));
        var (envelope, error) = Parse(text);
        Assert.Null(envelope);
        Assert.Contains($"more than {Envelope.MaxItems} items", error);
    }
}
