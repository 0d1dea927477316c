using System.Text;
using Kestrel.SourceMaps;

namespace Kestrel.Tests.SourceMaps;

/// <summary>The VLQ decoder, the mappings decoder and lookups, on values worked out by hand from the spec.</summary>
public sealed class SourceMapParsingTests
{
    [Theory]
    [InlineData("A", 0)]
    [InlineData("C", 1)]
    [InlineData("D", -1)]
    [InlineData("E", 2)]
    [InlineData("V", -10)]
    [InlineData("iB", 17)]
    [InlineData("gB", 16)]
    [InlineData("2H", 123)]
    [InlineData("+/////D", int.MaxValue)]
    [InlineData("//////D", -int.MaxValue)]
    public void Vlq_values_decode(string text, int expected)
    {
        var position = 0;
        Assert.Equal(expected, Vlq.Decode(Encoding.ASCII.GetBytes(text), ref position));
        Assert.Equal(text.Length, position);
    }

    [Theory]
    [InlineData("g", "ends in the middle")]
    [InlineData("!", "'!'")]
    [InlineData("\u00e9", "byte 0xC3")]
    [InlineData("gggggggB", "longer than 32 bits")]
    [InlineData("ggggggE", "longer than 32 bits")]
    public void Bad_vlq_is_refused(string text, string reason)
    {
        var position = 0;
        var error = Assert.Throws<SourceMapException>(() => Vlq.Decode(Encoding.UTF8.GetBytes(text), ref position));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Mappings_decode_with_relative_fields_and_per_line_columns()
    {
        // Line 0: col 0 -> src 0 (0,0); col 4 -> src 0 (0,2) name 0; col 10 unmapped.
        // Line 1 (";"): col 2 -> src 1 (3,1). Source, line and column carry on across lines; column restarts.
        var (lines, segments) = MappingsDecoder.Decode("AAAA,IAAEA,M;ECkBD"u8, sourceCount: 2, nameCount: 1);
        Assert.Equal([0, 3, 4], lines);
        Assert.Equal(new Segment(0, 0, 0, 0, -1), segments[0]);
        Assert.Equal(new Segment(4, 0, 0, 2, 0), segments[1]);
        Assert.Equal(new Segment(10, -1, 0, 0, -1), segments[2]);
        Assert.Equal(new Segment(2, 1, 18, 1, -1), segments[3]);
    }

    [Fact]
    public void Columns_that_go_backwards_within_a_line_are_sorted()
    {
        var (_, segments) = MappingsDecoder.Decode("KAAA,KAAC,VAAC"u8, 1, 0); // columns +5, +5, -10: 5, 10, 0
        Assert.Equal([0, 5, 10], segments.Select(s => s.GeneratedColumn));
    }

    private static SourceMap Map(string json) => SourceMap.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Lookup_takes_the_last_segment_at_or_before_the_column_on_that_line_only()
    {
        var map = Map("""{"version":3,"sources":["a.js","b.js"],"names":["foo"],"mappings":"AAAA,IAAEA,M;;ECAA"}""");
        Assert.True(map.TryFind(0, 0, out var p));
        Assert.Equal(("a.js", 0, 0, null), (p.SourceName, p.Line, p.Column, p.Name));
        Assert.True(map.TryFind(0, 7, out p));
        Assert.Equal(("a.js", 0, 2, "foo"), (p.SourceName, p.Line, p.Column, p.Name));
        Assert.False(map.TryFind(0, 12, out _));   // an unmapped segment
        Assert.False(map.TryFind(1, 5, out _));    // an empty line does not borrow from the line above
        Assert.False(map.TryFind(2, 1, out _));    // before the line's first segment
        Assert.True(map.TryFind(2, 500, out p));
        Assert.Equal(("b.js", 0), (p.SourceName, p.Line));
        Assert.False(map.TryFind(3, 0, out _));
        Assert.False(map.TryFind(-1, 0, out _));
    }

    [Fact]
    public void Source_root_ignore_lists_debug_ids_and_content_are_read()
    {
        var map = Map("""
            )]}'
            {"version":3,"file":"x.js","sourceRoot":"webpack://app","sources":["./src/a.js","node_modules/lib/b.js"],
             "sourcesContent":["line one\nline \"two\"\r\nline three",null],"x_google_ignoreList":[1],
             "debug_id":"8FBD2B5A6C4C4E0AA2B94C1A0D2E1F30","names":[],"mappings":"AAAA,CCAA","x_custom":{"deep":[1,2,3]}}
            """);
        Assert.Equal(["webpack://app/./src/a.js", "webpack://app/node_modules/lib/b.js"], map.Sources);
        Assert.Equal("8fbd2b5a-6c4c-4e0a-a2b9-4c1a0d2e1f30", map.DebugId);
        Assert.False(map.IsIgnored(0));
        Assert.True(map.IsIgnored(1));
        Assert.Equal(["line one", "line \"two\"", "line three"], map.ContentLines(0)!);
        Assert.Null(map.ContentLines(1));
        Assert.Equal("src/a.js", FrameResolver.ReadableSource(map.Sources[0]!));
    }

    [Fact]
    public void Index_maps_look_up_in_the_section_that_holds_the_position()
    {
        var map = Map("""
            {"version":3,"sections":[
              {"offset":{"line":0,"column":0},"map":{"version":3,"sources":["first.js"],"names":[],"mappings":"AAAA"}},
              {"offset":{"line":0,"column":100},"map":{"version":3,"sources":["second.js"],"names":[],"mappings":"AAAA,KAAK"}},
              {"offset":{"line":3,"column":0},"map":{"version":3,"sources":["third.js"],"names":[],"mappings":";AAIA"}}]}
            """);
        Assert.True(map.IsIndexMap);
        Assert.True(map.TryFind(0, 50, out var p));
        Assert.Equal("first.js", p.SourceName);
        Assert.True(map.TryFind(0, 106, out p));     // column 6 within the second section: its segment at 5
        Assert.Equal(("second.js", 0, 5), (p.SourceName, p.Line, p.Column));
        Assert.True(map.TryFind(4, 0, out p));       // line 1 of the third section
        Assert.Equal(("third.js", 4), (p.SourceName, p.Line));
        Assert.False(map.TryFind(3, 0, out _));
    }

    [Fact]
    public void Escaped_mappings_and_a_byte_order_mark_are_fine()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat("""{"version":3,"sources":["a.js"],"mappings":"\u0041AAA"}"""u8.ToArray()).ToArray();
        Assert.True(SourceMap.Parse(bytes).TryFind(0, 0, out _));
    }
}
