using System.Text.Json;
using Kestrel.Mcp;

namespace Kestrel.Tests.Mcp;

public sealed class EventDetailsTests
{
    private static readonly DateTime At = new(2026, 1, 31, 12, 0, 0, DateTimeKind.Utc);

    private static ErrorEvent Read(object stored, bool full = true)
    {
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(stored));
        return EventDetails.Read(json.RootElement, "e1", At, At, "error", full);
    }

    private static object Frame(int i, bool inApp = true) => new
    {
        function = "f" + i, filename = $"app/m{i}.py", lineno = i, in_app = inApp,
        pre_context = new[] { "p1", "p2", "p3", "p4", "p5" }, context_line = "line " + i, post_context = new[] { "q1", "q2", "q3", "q4", "q5" },
    };

    private static object WithFrames(IEnumerable<object> frames) =>
        new { exception = new { values = new[] { new { type = "E", value = "v", stacktrace = new { frames } } } } };

    [Fact]
    public void A_deep_stack_keeps_the_innermost_frames_and_says_how_many_were_left_out()
    {
        var e = Read(WithFrames(Enumerable.Range(0, 100).Select(i => Frame(i))));
        var exception = Assert.Single(e.Exceptions);
        Assert.Equal(EventDetails.MaxFrames, exception.Frames.Count);
        Assert.Equal(70, exception.OmittedFrames);
        Assert.Equal("f99", exception.Frames[0].Function);
        Assert.Equal("f70", exception.Frames[^1].Function);
    }

    [Fact]
    public void Source_context_is_kept_for_the_innermost_in_app_frames_only_three_lines_each_side()
    {
        var frames = Enumerable.Range(0, 10).Select(i => Frame(i, inApp: i % 2 == 0)).ToList();
        var shown = Read(WithFrames(frames)).Exceptions[0].Frames;
        var withContext = shown.Where(f => f.ContextLine is not null).Select(f => f.Function!).ToArray();
        Assert.Equal(["f8", "f6", "f4", "f2", "f0"], withContext);
        Assert.Equal(["p3", "p4", "p5"], shown[1].PreContext!.ToArray());
        Assert.Equal(["q1", "q2", "q3"], shown[1].PostContext!.ToArray());
        Assert.All(shown.Where(f => f.InApp == false), f => Assert.Null(f.PreContext));
    }

    [Fact]
    public void Without_in_app_flags_the_innermost_frames_get_the_context()
    {
        var frames = Enumerable.Range(0, 8).Select(i => new { function = "f" + i, lineno = i, context_line = "c" }).ToList();
        var shown = Read(WithFrames(frames)).Exceptions[0].Frames;
        Assert.Equal(["f7", "f6", "f5", "f4", "f3"], shown.Where(f => f.ContextLine is not null).Select(f => f.Function));
    }

    [Fact]
    public void A_summary_has_fewer_frames_and_no_source_context_or_breadcrumbs()
    {
        var stored = new
        {
            exception = new { values = new[] { new { type = "E", stacktrace = new { frames = Enumerable.Range(0, 40).Select(i => Frame(i)) } } } },
            breadcrumbs = new[] { new { message = "b" } },
        };
        var summary = Read(stored, full: false);
        Assert.Equal(EventDetails.MaxSummaryFrames, summary.Exceptions[0].Frames.Count);
        Assert.All(summary.Exceptions[0].Frames, f => Assert.Null(f.ContextLine));
        Assert.Null(summary.Breadcrumbs);
        Assert.NotNull(Read(stored).Breadcrumbs);
    }

    [Fact]
    public void The_chain_starts_from_the_exception_raised_last_and_keeps_five()
    {
        var stored = new { exception = Enumerable.Range(0, 8).Select(i => new { type = "E" + i }).ToArray() }; // the list form
        Assert.Equal(["E7", "E6", "E5", "E4", "E3"], Read(stored).Exceptions.Select(x => x.Type));
    }

    [Fact]
    public void Breadcrumbs_are_the_last_twenty_and_tags_and_strings_are_cut()
    {
        var stored = new
        {
            logentry = new { formatted = new string('m', 5000) },
            breadcrumbs = new { values = Enumerable.Range(0, 50).Select(i => new { message = "b" + i, timestamp = "2026-01-31T11:59:00Z", data = new { url = "/x", n = i, nested = new { a = 1 } } }) },
            tags = Enumerable.Range(0, 60).ToDictionary(i => "t" + i, i => "v"),
            user = new { },
        };
        var e = Read(stored);
        Assert.Equal(Enumerable.Range(30, 20).Select(i => "b" + i), e.Breadcrumbs!.Select(b => b.Message));
        Assert.Equal(new DateTime(2026, 1, 31, 11, 59, 0, DateTimeKind.Utc), e.Breadcrumbs![0].Timestamp);
        Assert.Equal(["url", "n"], e.Breadcrumbs[0].Data!.Keys); // objects are left out
        Assert.Equal(EventDetails.MaxTags, e.Tags!.Count);
        Assert.Equal(1000, e.Message!.Length);
        Assert.Null(e.User); // nothing worth showing
    }

    [Fact]
    public void Fields_of_unexpected_shapes_are_skipped_not_fatal()
    {
        var stored = new
        {
            exception = new { values = new object[] { "text", 3, new { type = "E", stacktrace = new { frames = new object[] { "x", new { lineno = "7" } } } } } },
            request = "GET /",
            user = new[] { 1 },
            tags = new[] { "a" },
            breadcrumbs = 5,
            logentry = 7,
        };
        var e = Read(stored);
        var frame = Assert.Single(Assert.Single(e.Exceptions).Frames);
        Assert.Null(frame.Line);
        Assert.Null(e.Request);
        Assert.Null(e.User);
        Assert.Null(e.Tags);
        Assert.Null(e.Breadcrumbs);
        Assert.Null(e.Message);
    }
}
