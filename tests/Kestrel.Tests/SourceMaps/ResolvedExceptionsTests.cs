using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Ingest;
using Kestrel.SourceMaps;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Grouping reads resolved frames through <see cref="ResolvedExceptions"/>: it must read exactly what <see cref="ExceptionReader"/> reads.</summary>
public sealed class ResolvedExceptionsTests
{
    public static TheoryData<string> Samples() =>
        new(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Samples", "grouping"), "*.json")
            .Where(f => Path.GetFileName(f) != "expected.json").Select(Path.GetFileName).OfType<string>());

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_tree_reader_reads_what_the_element_reader_reads(string sample)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "grouping", sample));
        var payload = EventNormaliser.Normalise(JsonDocument.Parse(json).RootElement, DateTimeOffset.UnixEpoch).Payload;
        var expected = ExceptionReader.Read(JsonDocument.Parse(payload).RootElement);
        var actual = ResolvedExceptions.Read(JsonNode.Parse(payload)!.AsObject());
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }

    [Fact]
    public void Values_the_resolver_set_read_like_parsed_ones()
    {
        var root = JsonNode.Parse("""{"exception":{"values":[{"type":"E","mechanism":{"synthetic":true},"stacktrace":{"frames":[{"lineno":"7","colno":3.5,"in_app":1}]}}]}}""")!.AsObject();
        var frame = root["exception"]!["values"]![0]!["stacktrace"]!["frames"]![0]!.AsObject();
        Assert.Equal(new StackFrame(null, null, null), ResolvedExceptions.Read(root)[0].Frames[0]);
        frame["function"] = "f";
        frame["filename"] = "src/a.js";
        frame["lineno"] = 5;
        frame["colno"] = 9;
        frame["in_app"] = false;
        var value = ResolvedExceptions.Read(root)[0];
        Assert.True(value.Synthetic);
        Assert.Equal(new StackFrame("f", "src/a.js", false), value.Frames[0]);
    }
}
