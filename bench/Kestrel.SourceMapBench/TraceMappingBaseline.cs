using System.Text.Json;

namespace Kestrel.SourceMapBench;

/// <summary>bench/sourcemaps/trace-mapping.mjs under node: @jridgewell/trace-mapping on the same map and positions.</summary>
public sealed record TraceMappingBaseline(double[] ParseMs, double[] LookupsPerSecond, long Mapped, long LineSum)
{
    public static Task<TraceMappingBaseline> RunAsync(Workspace workspace, string positionsPath, int runs)
    {
        var output = Workspace.Run("node", workspace.Directory, "trace-mapping.mjs", workspace.MapPath, positionsPath, runs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var json = JsonDocument.Parse(output).RootElement;
        return Task.FromResult(new TraceMappingBaseline(
            json.GetProperty("parseMs").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            json.GetProperty("lookupsPerSecond").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            json.GetProperty("mapped").GetInt64(),
            json.GetProperty("lineSum").GetInt64()));
    }
}
