using System.Globalization;
using System.Text.Json;

namespace Kestrel.Bench;

/// <summary>Prints the figures of each run and, over several runs, their medians.</summary>
public static class Report
{
    /// <summary>One column per run, numbered from <paramref name="firstRun"/>, and a median column when there are several.</summary>
    public static void Print(IReadOnlyList<Metrics> runs, int firstRun = 1)
    {
        var names = runs.SelectMany(r => r.Keys).Distinct().ToList();
        var width = names.Max(n => n.Length) + 2;
        var header = "figure".PadRight(width) + string.Concat(runs.Select((_, i) => $"run {firstRun + i}".PadLeft(12)));
        Console.WriteLine();
        Console.WriteLine(runs.Count > 1 ? header + "median".PadLeft(12) : header);
        foreach (var name in names)
        {
            var values = runs.Select(r => r.TryGetValue(name, out var v) ? v : double.NaN).ToList();
            var line = name.PadRight(width) + string.Concat(values.Select(v => Format(v).PadLeft(12)));
            Console.WriteLine(runs.Count > 1 ? line + Format(Median(values)).PadLeft(12) : line);
        }
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static void Write(string path, BenchOptions options, IReadOnlyList<Metrics> runs)
    {
        var names = runs.SelectMany(r => r.Keys).Distinct();
        var document = new
        {
            options = new { options.Mode, options.Concurrency, options.Seconds, options.Warmup, options.Windows, options.Batch, options.Rate, options.ServerEnvironment },
            runs,
            medians = names.ToDictionary(n => n, n => Median(runs.Select(r => r.TryGetValue(n, out var v) ? v : double.NaN))),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
    }

    private static string Format(double value) => double.IsNaN(value) ? "-"
        : Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("0.0##", CultureInfo.InvariantCulture);
}
