using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Operations;

/// <summary>
/// Issue 17 §2: connections sending deflate bodies that inflate to megabytes, then trickling empty deflate
/// blocks just fast enough for the server's minimum data rate, once held the whole body budget, so every
/// honest ingest request got 503. Now one client address holds at most its share and its number of open
/// requests, a body must arrive within the deadline, and an envelope without a key in the request is
/// refused on its header line. The attacker comes from 127.0.0.2, honest clients from 127.0.0.1: both loopback.
/// </summary>
public sealed class IngestStarvationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private const int AttackConnections = 40;               // more than the 32 requests a client may have open
    private static readonly TimeSpan MinimumAttack = TimeSpan.FromSeconds(10);
    private const int HonestEvents = 40;

    [Fact]
    public async Task Honest_clients_keep_getting_200_while_one_address_holds_trickling_inflated_bodies()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_INGEST_BODY_TIMEOUT_SECONDS"] = "4" });
        var project = await server.CreateProjectAsync();
        var attackBody = InflatingBody(8 * 1024 * 1024 - 4096); // just under an 8 MiB buffer each
        var path = $"/api/{project.Id}/envelope/?sentry_key={project.PublicKey}";

        // The attack runs until the honest client is done, and for at least twice the body deadline.
        var stop = Stopwatch.StartNew();
        var honestDone = false;
        var attackStatuses = new List<int>();
        var attackers = Enumerable.Range(0, AttackConnections).Select(_ => Task.Run(async () =>
        {
            while (!Volatile.Read(ref honestDone) || stop.Elapsed < MinimumAttack)
            {
                var status = await SendTricklingAsync(server.Address, path, attackBody, TimeSpan.FromSeconds(30));
                lock (attackStatuses) attackStatuses.Add(status);
                await Task.Delay(250); // keeps the test from spinning the shared CPU; no backing off worth the name
            }
        })).ToArray();

        // Honest SDK traffic from another address, once the attack has had time to take hold.
        while (stop.Elapsed < TimeSpan.FromSeconds(2)) await Task.Delay(50);
        var honest = new List<int>();
        for (var i = 0; i < HonestEvents; i++)
        {
            using var response = await project.PostEnvelopeAsync(SentryEnvelopes.Envelope(Events.Exception("HonestError", "still here")));
            honest.Add((int)response.StatusCode);
        }
        Volatile.Write(ref honestDone, true);
        await Task.WhenAll(attackers);

        var summary = $"honest: {Summary(honest)}; attacker: {Summary(attackStatuses)}";
        output.WriteLine(summary);
        Assert.True(honest.Count(s => s == 200) >= honest.Count * 0.9, summary);
        Assert.All(attackStatuses, s => Assert.Contains(s, new[] { 408, 413, 429 }));
        Assert.Contains(429, attackStatuses); // past its share or its open requests
        Assert.Contains(408, attackStatuses); // held past the deadline
    }

    [Fact]
    public async Task An_envelope_without_a_key_is_refused_on_its_header_line_before_its_body_is_read()
    {
        await using var server = await KestrelServer.StartAsync(new Dictionary<string, string> { ["KESTREL_INGEST_BODY_TIMEOUT_SECONDS"] = "3" });
        var project = await server.CreateProjectAsync();

        // A header line with no dsn, announcing 10 MB more that never come: 401 at once.
        using (var socket = await RawHttp.ConnectAsync(server.Address))
        {
            await RawHttp.SendHeadAsync(socket, server.Address, $"/api/{project.Id}/envelope/", "", 10_000_000);
            await socket.SendAsync("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n"u8.ToArray());
            // The rest is never sent, so an answer other than 408 proves it was not waited for.
            Assert.Equal(401, await RawHttp.ReadStatusAsync(socket, TimeSpan.FromSeconds(10)));
        }

        // A header line that never ends: the deadline answers 408.
        using (var socket = await RawHttp.ConnectAsync(server.Address))
        {
            await RawHttp.SendHeadAsync(socket, server.Address, $"/api/{project.Id}/envelope/", "", 10_000_000);
            await socket.SendAsync("{\"sdk\":{\"name\":\""u8.ToArray());
            Assert.Equal(408, await RawHttp.ReadStatusAsync(socket, TimeSpan.FromSeconds(10)));
        }

        // A dsn in the header line is a key like any other: the envelope is stored.
        var envelope = SentryEnvelopes.Envelope(Events.Message("via dsn"), dsn: project.Dsn());
        using var response = await server.Http.SendAsync(project.EnvelopeRequest(Encoding.UTF8.GetBytes(envelope)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>An envelope compressed with zlib that inflates to <paramref name="inflated"/> bytes, sync-flushed but not finished.</summary>
    private static byte[] InflatingBody(int inflated)
    {
        var header = "{}\n{\"type\":\"attachment\",\"length\":" + inflated + "}\n";
        using var output = new MemoryStream();
        var zlib = new ZLibStream(output, CompressionLevel.Optimal);
        zlib.Write(Encoding.ASCII.GetBytes(header));
        zlib.Write(new byte[inflated - header.Length]);
        zlib.Flush(); // a sync flush: byte-aligned, so empty stored blocks can follow
        return output.ToArray();
    }

    // An empty, non-final stored deflate block: it inflates to nothing and keeps the stream going.
    private static readonly byte[] EmptyBlocks = Enumerable.Range(0, 13).SelectMany(_ => new byte[] { 0, 0, 0, 0xFF, 0xFF }).ToArray();

    /// <summary>Sends the inflating body from the attacker's address, then 65 bytes of empty blocks every 200 ms until answered.</summary>
    private static async Task<int> SendTricklingAsync(Uri server, string path, byte[] body, TimeSpan giveUp)
    {
        using var socket = await RawHttp.ConnectAsync(server, Attacker);
        try
        {
            await RawHttp.SendHeadAsync(socket, server, path, "Content-Encoding: deflate\r\n", 10_000_000);
            await socket.SendAsync(body);
            var answer = RawHttp.ReadStatusAsync(socket, giveUp);
            while (!answer.IsCompleted)
            {
                await Task.WhenAny(answer, Task.Delay(200));
                if (!answer.IsCompleted) await socket.SendAsync(EmptyBlocks);
            }
            return await answer;
        }
        catch (SocketException) { return 0; } // the server closed a connection it had answered
        catch (OperationCanceledException) { return -1; } // no answer in 30 s
    }

    private static string Summary(IEnumerable<int> statuses) =>
        string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()}× {g.Key}"));
}
