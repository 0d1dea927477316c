using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Tests.Ingest;

public sealed class RepeatedStringsTests
{
    private static JsonElement Value(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"production\"")]
    [InlineData("\"caf\u00e9\"")]                                    // not ASCII: read, not kept
    [InlineData("\"a\\\"b\\\\c\\u0041\\n\"")]                        // escapes: read by the parser
    [InlineData("\"0123456789012345678901234567890123456789012345678901234567890123\"")]  // 64 bytes: kept
    [InlineData("\"01234567890123456789012345678901234567890123456789012345678901234\"")] // 65: read, not kept
    public void A_text_reads_as_the_parser_reads_it(string json)
    {
        var value = Value(json);
        Assert.Equal(value.GetString(), RepeatedStrings.Of(value));
        var property = JsonDocument.Parse("{" + json + ": 1}").RootElement.EnumerateObject().Single();
        Assert.Equal(property.Name, RepeatedStrings.NameOf(property));
    }

    [Fact]
    public void A_short_ascii_text_seen_again_is_the_same_string_and_another_text_is_not()
    {
        // The table is shared by every thread, so a test running beside this one may take the slot in between: a few tries.
        var name = () => RepeatedStrings.NameOf(JsonDocument.Parse("{\"Chrome 130\": 1}").RootElement.EnumerateObject().Single());
        Assert.Contains(Enumerable.Range(0, 3), _ => ReferenceEquals(RepeatedStrings.Of(Value("\"Chrome 130\"")), RepeatedStrings.Of(Value("\"Chrome 130\""))));
        Assert.Contains(Enumerable.Range(0, 3), _ => ReferenceEquals(RepeatedStrings.Of(Value("\"Chrome 130\"")), name()));
        Assert.Equal("Chrome 131", RepeatedStrings.Of(Value("\"Chrome 131\"")));
        Assert.NotSame(RepeatedStrings.Of(Value("\"caf\u00e9\"")), RepeatedStrings.Of(Value("\"caf\u00e9\"")));
    }

    [Fact]
    public void Texts_that_share_a_slot_each_read_as_themselves()
    {
        // More distinct texts than slots: some meet in a slot and replace each other; every answer is still its own text.
        var texts = Enumerable.Range(0, RepeatedStrings.Slots * 3).Select(i => $"tenant-{i}").ToList();
        for (var round = 0; round < 2; round++)
            foreach (var text in texts) Assert.Equal(text, RepeatedStrings.Of(Value($"\"{text}\"")));
    }
}
