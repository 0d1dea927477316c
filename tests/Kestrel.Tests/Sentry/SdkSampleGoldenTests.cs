using System.Text.Json;
using Kestrel.Ingest;

namespace Kestrel.Tests.Sentry;

/// <summary>
/// Envelopes captured from the real SDKs (Samples/sentry-sdks: .NET Sentry 6.12.1 and @sentry/node
/// 11.12.0, sent by tests/clients/*) go through the envelope parser and the ingest pipeline; the
/// title, type, culprit and fingerprint of each are pinned in expected.json. Regenerate with
/// KESTREL_UPDATE_GOLDEN=1 only for a deliberate change, and review the diff.
/// </summary>
public sealed class SdkSampleGoldenTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Samples", "sentry-sdks");
    private static readonly string ExpectedPath = Path.Combine(Folder, "expected.json");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>What the sample turns into; an envelope without an event (a session) has only <see cref="Events"/> = 0.</summary>
    private sealed record Expected(int Events, string? EventId, string? Title, string? Type, string? Culprit, string? Fingerprint);

    private static Expected Ingest(string file)
    {
        var body = File.ReadAllBytes(Path.Combine(Folder, file));
        var (envelope, error) = Envelope.Parse(body);
        Assert.True(envelope is not null, error);
        var (events, _, rejection) = EnvelopeItems.Read(envelope, body, DateTimeOffset.UnixEpoch);
        Assert.Null(rejection);
        if (events.Count == 0) return new Expected(0, null, null, null, null, null);
        var e = Assert.Single(events);
        return new Expected(1, e.EventId, e.Group.Title, e.Group.Type, e.Group.Culprit, e.Group.Fingerprint);
    }

    private static List<string> SampleFiles() =>
        Directory.GetFiles(Folder, "*.envelope").Select(f => Path.GetFileName(f)).Order().ToList();

    public static TheoryData<string> Samples() => new(SampleFiles());

    [Theory]
    [MemberData(nameof(Samples))]
    public void Each_sample_is_ingested_as_recorded(string file)
    {
        if (Environment.GetEnvironmentVariable("KESTREL_UPDATE_GOLDEN") == "1") Regenerate();
        var expected = JsonSerializer.Deserialize<Dictionary<string, Expected>>(File.ReadAllText(ExpectedPath), Json)!;
        Assert.Equal(expected[file], Ingest(file));
    }

    private static void Regenerate()
    {
        var json = JsonSerializer.Serialize(SampleFiles().ToDictionary(f => f, Ingest), Json) + "\n";
        // Write to the source tree, not only the build output, so the change shows in git.
        File.WriteAllText(Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../Samples/sentry-sdks/expected.json")), json);
        File.WriteAllText(ExpectedPath, json);
    }
}
