using System.Diagnostics;
using System.Net;
using System.Text;
using Kestrel.Ingest;
using Kestrel.SourceMaps;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Fuzz;

/// <summary>
/// Hostile input for the envelope parser, the event normaliser and the source-map decoder, from mutated real samples and noise.
/// Nothing may throw, hang (a case over 2 s fails) or, over HTTP, answer 500. CI runs
/// KESTREL_FUZZ_CASES (default 2000) cases per target from a fixed seed; run longer by hand with
/// KESTREL_FUZZ_CASES=200000 KESTREL_FUZZ_SEED=n. A failure names its seed and case to reproduce it.
/// </summary>
public sealed class FuzzTests
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "Samples");
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("KESTREL_FUZZ_CASES"), out var n) ? n : 2000;
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("KESTREL_FUZZ_SEED"), out var n) ? n : 20261127;

    private static List<byte[]> Envelopes() =>
        Directory.GetFiles(Path.Combine(Samples, "sentry-sdks"), "*.envelope").Order().Select(File.ReadAllBytes).ToList();

    private static List<byte[]> EventJson() =>
        Directory.GetFiles(Path.Combine(Samples, "grouping"), "*.json").Where(f => !f.EndsWith("expected.json")).Order()
            .Select(File.ReadAllBytes)
            .Concat(Envelopes().Select(Payload))
            .ToList();

    /// <summary>The first item's payload of an envelope: the third line.</summary>
    private static byte[] Payload(byte[] envelope) => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(envelope).Split('\n')[2]);

    private static void Run(string target, List<byte[]> samples, Action<byte[]> check)
    {
        var mutator = new Mutator(samples, Seed);
        for (var i = 0; i < Cases; i++)
        {
            var input = mutator.Next();
            var started = Stopwatch.GetTimestamp();
            try { check(input); }
            catch (Exception e)
            {
                Assert.Fail($"{target} threw on case {i} of seed {Seed} ({input.Length} bytes, starting {Convert.ToBase64String(input.AsSpan(0, Math.Min(input.Length, 300)))}): {e}");
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            Assert.True(elapsed < TimeSpan.FromSeconds(2), $"{target} took {elapsed.TotalSeconds:0.0} s on case {i} of seed {Seed}");
        }
    }

    [Fact]
    public void The_envelope_parser_and_item_reader_never_throw()
    {
        var accepted = 0;
        Run("envelope", Envelopes(), input =>
        {
            var (envelope, error) = Envelope.Parse(input);
            Assert.True((envelope is null) != (error is null));
            if (envelope is null) return;
            var (events, _, rejection) = EnvelopeItems.Read(envelope, input, DateTimeOffset.UnixEpoch);
            if (rejection is null) accepted += events.Count;
            else Assert.InRange(rejection.Status, 400, 499);
        });
        Assert.True(accepted > 0, "no mutated envelope was accepted at all: the mutations are too destructive to test the item reader");
    }

    [Fact]
    public void The_event_pipeline_never_throws()
    {
        var accepted = 0;
        Run("event", EventJson(), input =>
        {
            var (events, _, rejection) = IngestPipeline.Prepare(input, DateTimeOffset.UnixEpoch);
            if (rejection is null) accepted += events!.Count;
            else Assert.InRange(rejection.Status, 400, 499);
        });
        Assert.True(accepted > 0, "no mutated event was accepted at all");
    }

    [Fact]
    public void The_source_map_decoder_never_throws_anything_but_its_own_refusal()
    {
        var samples = Directory.GetFiles(Path.Combine(Samples, "sourcemaps"), "*.map").Order().Select(File.ReadAllBytes).ToList();
        var parsed = 0;
        Run("source map", samples, input =>
        {
            SourceMap map;
            try { map = SourceMap.Parse(input); }
            catch (SourceMapException) { return; } // a clear refusal (400 at upload)
            parsed++;
            // Lookups anywhere, in range or not, must answer or decline, never throw.
            var random = new Random(input.Length);
            for (var i = 0; i < 50; i++) map.TryFind(random.Next(-2, 200), random.Next(-2, 400), out _);
        });
        Assert.True(parsed > 0, "no mutated map parsed at all");
    }

    [Fact]
    public void Maps_with_text_that_is_not_unicode_are_refused_clearly()
    {
        // Found by the fuzz target above: these threw InvalidOperationException (a 500 at upload).
        byte[] badUtf8 = [.. "{\"version\":3,\"sources\":[\""u8, 0xFD, .. "\"],\"mappings\":\"AAAA\"}"u8];
        var loneSurrogate = "{\"version\":3,\"sources\":[\"\\ud800\"],\"mappings\":\"AAAA\"}"u8.ToArray();
        foreach (var map in new[] { badUtf8, loneSurrogate })
            Assert.Contains("not valid UTF-8 or Unicode", Assert.Throws<SourceMapException>(() => SourceMap.Parse(map)).Message);
    }

    [Fact]
    public async Task The_server_answers_no_mutated_envelope_with_500_and_keeps_serving_what_it_stored()
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        var mutator = new Mutator(Envelopes(), Seed);
        var statuses = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < Math.Max(100, Cases / 10); i++)
        {
            var body = mutator.Next();
            using var request = project.EnvelopeRequest(body).WithSentryAuth(project.PublicKey);
            if (i % 3 == 0)
            {
                request.Content = new ByteArrayContent(SentryEnvelopes.Compress(body, "gzip"));
                request.SetEncoding("gzip");
            }
            using var response = await server.Http.SendAsync(request);
            Assert.True((int)response.StatusCode < 500, $"case {i} of seed {Seed}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
        }
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.OK) > 0, string.Join(", ", statuses));

        // Everything that was stored reads back through the API.
        foreach (var issue in await project.IssuesAsync("?limit=200"))
            await project.GetJsonAsync($"/api/issues/{issue.GetProperty("id").GetInt64()}/events?limit=100");
        Assert.DoesNotContain("fail:", server.Log);
    }
}
