using System.Globalization;

namespace Kestrel.Bench;

/// <summary>
/// `--windows N`: while a measured phase runs, its server's figures are also taken for N consecutive windows of
/// equal length, so warm-up (tiered compilation, caches, the database growing) shows as a trend instead of hiding
/// in one average. The load runs on without a pause; a window's events are the rows added between its ends, so
/// up to one round of requests in flight may count in the next window.
/// </summary>
public static class WindowSplit
{
    public static async Task RunAsync(Metrics m, string name, ChildServer server, int windows, double seconds, Task load)
    {
        if (windows <= 1) return;
        var each = seconds / windows;
        for (var w = 0; w < windows && !load.IsCompleted; w++)
        {
            var rowsBefore = server.CountRows("events");
            var window = await ServerWindow.StartAsync(server, sampleMemory: false);
            // The last window ends with the load itself.
            if (w == windows - 1) await load;
            else await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(each)));
            await window.StopAsync();
            var processed = server.CountRows("events") - rowsBefore;
            var label = string.Create(CultureInfo.InvariantCulture, $"{name}, {w * each:0.#}–{(w + 1) * each:0.#} s");
            m[$"{label}: processed events/s"] = processed / window.WallSeconds;
            window.Report(m, label, processed, "event");
        }
    }
}
