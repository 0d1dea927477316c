using System.Text;
using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Tests.Ingest;

public sealed class EventNormaliserTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static (NormalisedEvent Event, JsonElement Stored) Normalise(string json)
    {
        using var document = JsonDocument.Parse(json);
        var e = EventNormaliser.Normalise(document.RootElement, Received);
        return (e, JsonDocument.Parse(e.Payload).RootElement.Clone());
    }

    [Fact]
    public void Missing_fields_get_defaults()
    {
        var (e, stored) = Normalise("{}");
        Assert.Matches("^[0-9a-f]{32}$", e.EventId);
        Assert.Equal(Received, e.Timestamp);
        Assert.Equal("error", e.Level);
        Assert.Equal(e.EventId, stored.GetProperty("event_id").GetString());
    }

    [Theory]
    [InlineData("\"8B7C0A9E-5F7D-4F0A-9A1E-2B3C4D5E6F70\"", "8b7c0a9e5f7d4f0a9a1e2b3c4d5e6f70")]
    [InlineData("\"not-an-id\"", null)]
    [InlineData("42", null)]
    public void Event_ids_are_32_lowercase_hex_or_replaced(string id, string? expected)
    {
        var (e, _) = Normalise($"{{\"event_id\": {id}}}");
        if (expected is null) Assert.Matches("^[0-9a-f]{32}$", e.EventId);
        else Assert.Equal(expected, e.EventId);
    }

    [Theory]
    [InlineData("\"2026-01-02T03:04:05.5+02:00\"", "2026-01-02T01:04:05.5000000+00:00")]
    [InlineData("\"2026-01-02T03:04:05\"", "2026-01-02T03:04:05.0000000+00:00")]
    [InlineData("1767323045.25", "2026-01-02T03:04:05.2500000+00:00")]
    [InlineData("\"yesterday\"", "2026-11-26T12:00:00.0000000+00:00")]
    [InlineData("-5", "2026-11-26T12:00:00.0000000+00:00")]
    public void Timestamps_are_read_in_both_forms(string timestamp, string expected) =>
        Assert.Equal(expected, Normalise($"{{\"timestamp\": {timestamp}}}").Event.Timestamp.ToString("O"));

    [Fact]
    public void Escapes_and_non_ascii_text_survive_and_stay_valid_json()
    {
        var (_, stored) = Normalise("""{"extra": {"naïve \"key\"": "line\nbreak <script>alert(1)</script> \u0000 ☃"}}""");
        Assert.Equal("line\nbreak <script>alert(1)</script> \0 ☃", stored.GetProperty("extra").GetProperty("naïve \"key\"").GetString());
    }

    [Fact]
    public void Property_names_of_large_objects_are_copied_as_text_and_cut_only_inside_objects()
    {
        // Objects over 200 bytes are copied property by property; names without escapes are written from their bytes.
        var longName = new string('k', 300);
        var filler = new string('x', 250);
        var json = "{\"extra\": {\"naïve \\\"key\\\"\": 1, \"<script>\": 2, \"☃ snow\": 3, \"" + longName + "\": 4, \"filler\": \"" + filler + "\"}, \""
            + longName + "\": {\"filler\": \"" + filler + "\"}}";
        var (e, stored) = Normalise(json);
        var extra = stored.GetProperty("extra");
        Assert.Equal(1, extra.GetProperty("naïve \"key\"").GetInt32());
        Assert.Equal(2, extra.GetProperty("<script>").GetInt32());
        Assert.Equal(3, extra.GetProperty("☃ snow").GetInt32());
        Assert.Equal(4, extra.GetProperty(EventNormaliser.Truncate(longName, IngestLimits.MaxTagLength)).GetInt32());
        Assert.Equal(filler, stored.GetProperty(longName).GetProperty("filler").GetString()); // a top-level name is not cut
        // Names are escaped in the stored bytes exactly as values are: HTML-significant characters as \u escapes.
        Assert.Contains("\"\\u003Cscript\\u003E\":2", Encoding.UTF8.GetString(e.Payload));
    }

    [Fact]
    public void Invalid_utf8_is_refused_before_parsing()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"exception\": [{\"type\": \"bad X\"}]}");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;
        var (events, _, rejection) = IngestPipeline.Prepare(bytes, Received);
        Assert.Null(events);
        Assert.Equal(400, rejection!.Status);
        Assert.Contains("UTF-8", rejection.Message);
    }

    [Fact]
    public void A_synthetic_exception_without_type_is_read()
    {
        var (e, _) = Normalise("""{"message": "hello", "exception": {"values": [{"value": "hello", "mechanism": {"type": "generic", "synthetic": true}}]}}""");
        var exception = Assert.Single(e.Exceptions);
        Assert.True(exception.Synthetic);
        Assert.Null(exception.Type);
        Assert.Equal("hello", e.Message);
    }

    [Fact]
    public void Tags_that_are_not_strings_or_pairs_are_dropped()
    {
        var (_, stored) = Normalise("""{"tags": [["a", "1"], ["b"], "c", ["d", 2], [{"x": 1}, "y"]]}""");
        Assert.Equal("""{"a":"1","d":"2"}""", stored.GetProperty("tags").GetRawText());
    }
}
