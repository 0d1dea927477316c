using System.Text.Json;
using Kestrel.Grouping;
using Kestrel.Ingest;

namespace Kestrel.Tests.Grouping;

/// <summary>
/// Golden tests of grouping v1 over the samples in Samples/grouping: title, type, culprit and the exact
/// fingerprint of each sample are pinned in expected.json, so an accidental change to v1 (which would
/// silently split existing issues) fails here. Samples sharing a "group" label must share a fingerprint.
/// Regenerate with KESTREL_UPDATE_GOLDEN=1 only for a deliberate change, and review the diff.
/// </summary>
public sealed class GroupingV1GoldenTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Samples", "grouping");
    private static readonly string ExpectedPath = Path.Combine(Folder, "expected.json");

    private sealed record Expected(string Group, string Title, string Type, string Culprit, string Fingerprint);

    private static GroupingResult GroupSample(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, file)));
        return GroupingV1.Group(EventNormaliser.Normalise(document.RootElement, DateTimeOffset.UnixEpoch));
    }

    private static List<string> SampleFiles() =>
        Directory.GetFiles(Folder, "*.json").Select(f => Path.GetFileName(f)).Where(f => f != "expected.json").Order().ToList();

    public static TheoryData<string> Samples() => new(SampleFiles());

    private static Dictionary<string, Expected> LoadExpected() =>
        JsonSerializer.Deserialize<Dictionary<string, Expected>>(File.ReadAllText(ExpectedPath), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Each_sample_groups_as_recorded(string file)
    {
        var actual = GroupSample(file);
        var expected = LoadExpected()[file];
        Assert.Equal(expected.Title, actual.Title);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Culprit, actual.Culprit);
        Assert.Equal(expected.Fingerprint, actual.Fingerprint);
        Assert.Equal("v1", actual.GroupingVersion);
    }

    [Fact]
    public void Samples_with_the_same_group_label_share_a_fingerprint_and_others_do_not()
    {
        if (Environment.GetEnvironmentVariable("KESTREL_UPDATE_GOLDEN") == "1") Regenerate();
        var expected = LoadExpected();
        Assert.Equal(SampleFiles().Count, expected.Count);
        foreach (var group in expected.GroupBy(e => e.Value.Group))
            Assert.Single(group.Select(e => GroupSample(e.Key).Fingerprint).Distinct());
        Assert.Equal(expected.Values.Select(v => v.Group).Distinct().Count(),
            expected.Keys.Select(k => GroupSample(k).Fingerprint).Distinct().Count());
    }

    private static void Regenerate()
    {
        var old = File.Exists(ExpectedPath) ? LoadExpected() : [];
        var fresh = SampleFiles().ToDictionary(f => f, f =>
        {
            var g = GroupSample(f);
            return new Expected(old.TryGetValue(f, out var e) ? e.Group : f, g.Title, g.Type, g.Culprit, g.Fingerprint);
        });
        var json = JsonSerializer.Serialize(fresh, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        // Write to the source tree, not only the build output, so the change shows in git.
        var source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../Samples/grouping/expected.json"));
        File.WriteAllText(source, json + "\n");
        File.WriteAllText(ExpectedPath, json + "\n");
    }
}
