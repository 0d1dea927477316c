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

    [Fact]
    public void A_repeated_tag_key_keeps_its_first_value_in_either_form_and_escaped_spellings_of_one_key_are_one_key()
    {
        Assert.Equal("""{"a":"1","b":"true"}""", Normalise("""{"tags": {"a": "1", "b": true, "a": "2", "\u0061": "3"}}""").Stored.GetProperty("tags").GetRawText());
        Assert.Equal("""{"a":"1","5":"x"}""", Normalise("""{"tags": [["a", "1"], ["\u0061", "2"], [5, "x"], ["5", "y"], ["a", null]]}""").Stored.GetProperty("tags").GetRawText());
    }

    [Fact]
    public void A_tag_key_whose_value_is_not_text_does_not_take_the_key()
    {
        Assert.Equal("""{"a":"2"}""", Normalise("""{"tags": [["a", {"x": 1}], ["a", "2"]]}""").Stored.GetProperty("tags").GetRawText());
    }

    [Fact]
    public void Tag_keys_and_values_are_cut_to_200_characters_whether_escaped_or_not()
    {
        var longKey = new string('k', 250);
        var longValue = new string('é', 150) + "\\n" + new string('v', 100);
        var tags = Normalise($$$"""{"tags": {"{{{longKey}}}": "{{{longValue}}}", "n": 12345678901234567890, "s": "\u00e9\"q\"", "e": ""}}""").Stored.GetProperty("tags");
        var key = new string('k', 199) + "…";
        Assert.Equal(new string('é', 150) + "\n" + new string('v', 48) + "…", tags.GetProperty(key).GetString());
        Assert.Equal("12345678901234567890", tags.GetProperty("n").GetString());
        Assert.Equal("é\"q\"", tags.GetProperty("s").GetString());
        Assert.Equal("", tags.GetProperty("e").GetString());
    }

    [Fact]
    public void At_most_100_distinct_tag_keys_are_kept_in_their_order()
    {
        var pairs = string.Join(",", Enumerable.Range(0, 150).Select(i => $"[\"k{i % 120}\", \"{i}\"]"));
        var tags = Normalise($$$"""{"tags": [{{{pairs}}}]}""").Stored.GetProperty("tags").EnumerateObject().ToList();
        Assert.Equal(100, tags.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"k{i}"), tags.Select(t => t.Name));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i}"), tags.Select(t => t.Value.GetString()));
    }

    [Fact]
    public void Only_app_frames_and_the_innermost_frame_are_read_into_objects()
    {
        var (e, stored) = Normalise("""
            {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
                {"function": "lib", "module": "Lib", "filename": "lib.js", "abs_path": "/x/lib.js", "lineno": 1, "colno": 2, "in_app": false},
                {"function": "app", "module": "App", "filename": "app.js", "lineno": 3, "colno": 4, "in_app": true},
                {"function": "lib2", "filename": "lib2.js", "lineno": 3, "colno": 4},
                {"function": "inner", "module": "Inner", "filename": "inner.js", "lineno": 5, "colno": 6},
                "not a frame"]}}]}}
            """);
        Assert.Equal(
            [new StackFrame("app", "app.js", true), new StackFrame("inner", "inner.js", null)],
            e.Exceptions[0].Frames);
        // What is stored keeps every frame whole.
        Assert.Equal("lib", stored.GetProperty("exception").GetProperty("values")[0].GetProperty("stacktrace").GetProperty("frames")[0].GetProperty("function").GetString());
    }

    [Fact]
    public void An_innermost_app_frame_is_read_once()
    {
        var (e, _) = Normalise("""
            {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"function": "lib"}, {"function": "app", "in_app": true}]}},
                {"type": "F", "stacktrace": {"frames": []}}]}}
            """);
        Assert.Equal([new StackFrame("app", null, true)], e.Exceptions[0].Frames);
        Assert.Empty(e.Exceptions[1].Frames);
    }

    // The source-map check at ingest reads Scripts for every kept frame, library frames included, though they are not kept as objects.
    [Theory]
    [InlineData("""{"filename": "Program.cs", "lineno": 1}""", FrameScripts.None)]                                // no column
    [InlineData("""{"filename": "app.js", "lineno": 1, "colno": 0}""", FrameScripts.None)]                       // a column below 1
    [InlineData("""{"filename": "Program.cs", "lineno": 1, "colno": 2}""", FrameScripts.Positioned)]             // .NET sends columns
    [InlineData("""{"filename": "app.js", "lineno": 1, "colno": 2}""", FrameScripts.PositionedInScriptFile)]
    [InlineData("""{"abs_path": "https://x.test/static/App.MJS?v=2", "lineno": 1, "colno": 2}""", FrameScripts.PositionedInScriptFile)]
    [InlineData("""{"abs_path": "/x/app.j\u0073", "lineno": 1, "colno": 2}""", FrameScripts.PositionedInScriptFile)] // escaped
    [InlineData("""{"abs_path": "https://json.test/", "filename": "app.js", "lineno": 1, "colno": 2}""", FrameScripts.Positioned)] // abs_path wins
    [InlineData("""{"abs_path": {}, "filename": "app.js", "lineno": 1, "colno": 2}""", FrameScripts.PositionedInScriptFile)] // not a text: filename
    [InlineData("""{"abs_path": 12, "filename": "app.js", "lineno": 1, "colno": 2}""", FrameScripts.Positioned)]  // a number is a text
    public void Every_frame_counts_for_the_source_map_check(string frame, FrameScripts expected)
    {
        var (e, _) = Normalise($$$"""
            {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{{{frame}}}, {"function": "inner", "in_app": true}]}}]}}
            """);
        Assert.Equal(expected, e.Exceptions[0].Scripts);
        Assert.Single(e.Exceptions[0].Frames);
    }
}
