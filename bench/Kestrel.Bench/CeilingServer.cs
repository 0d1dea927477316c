using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Kestrel.Bench;

/// <summary>
/// The HTTP ceiling: a minimal API that reads the whole body into a pooled buffer and answers 200 with an
/// id-sized JSON, hosted like src/Kestrel (slim builder, same Kestrel limits, no logging per request, the
/// same GC settings). Whatever Kestrel (the tracker) does beyond this is parsing, grouping and storing.
/// </summary>
public static class CeilingServer
{
    private const string Answer = """{"id":"00000000000000000000000000000000"}""";

    public static async Task<int> RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 20 * 1024 * 1024;
        });
        var app = builder.Build();
        app.MapPost("/api/events", async (HttpRequest request, CancellationToken cancellationToken) =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try { while (await request.Body.ReadAsync(buffer, cancellationToken) > 0) { } }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
            return Results.Content(Answer, "application/json");
        });

        // The same runtime counters as Kestrel's /metrics, so the bench can set Kestrel's garbage per event beside the floor's.
        app.MapGet("/metrics", () => Results.Text(string.Create(CultureInfo.InvariantCulture,
            $"kestrel_managed_allocated_bytes_total {GC.GetTotalAllocatedBytes(precise: false)}\nkestrel_gc_pause_seconds_total {GC.GetTotalPauseDuration().TotalSeconds}\n")));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"ceiling listening on {address}");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
