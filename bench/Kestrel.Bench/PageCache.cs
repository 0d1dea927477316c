using System.Text.Json;

namespace Kestrel.Bench;

/// <summary>
/// The pages bench's database kept between runs (<c>--cache DIR</c>): building 1,000,000 events takes minutes
/// of a shared machine's CPU, copying them seconds. One entry per (issues, events, data version) holds
/// kestrel.db as the server that built it migrated it (a newer server migrates its copy forward when it
/// starts, so an A/B builds the cache with the older server), the project, and the build's summary. An entry
/// older than a day is built again: the events lie in the 14 days before the build, and the pages that show
/// "the last 24 hours" would age with them.
/// </summary>
public sealed class PageCache(string root, int issues, int events)
{
    /// <summary>Raise whenever <see cref="PageData"/> or <see cref="PageTags"/> make different data.</summary>
    private const int DataVersion = 2;
    private readonly string directory = Path.Combine(root, $"pages-{issues}-{events}-v{DataVersion}");

    /// <summary>The summary of the restored build; null until <see cref="Restore"/> finds one.</summary>
    public PageData.Summary? Restored { get; private set; }

    /// <summary>Copies a fresh saved database into <paramref name="dataDirectory"/>.</summary>
    /// <returns>the saved project (<c>project create --json</c>), or null when there is no fresh entry</returns>
    public string? Restore(string dataDirectory)
    {
        var summary = Path.Combine(directory, "summary.json");
        var database = Path.Combine(directory, "kestrel.db");
        if (!File.Exists(database) || !File.Exists(summary) || File.GetLastWriteTimeUtc(summary) < DateTime.UtcNow.AddDays(-1)) return null;
        File.Copy(database, Path.Combine(dataDirectory, "kestrel.db"));
        Restored = JsonSerializer.Deserialize<PageData.Summary>(File.ReadAllText(summary));
        Console.WriteLine($"Using the database built at {File.GetLastWriteTimeUtc(summary):u} from {directory}.");
        return File.ReadAllText(Path.Combine(directory, "project.json"));
    }

    public void Save(string databasePath, JsonElement project, PageData.Summary summary)
    {
        Directory.CreateDirectory(directory);
        File.Delete(Path.Combine(directory, "summary.json")); // the entry counts only once everything is written, summary last
        File.WriteAllText(Path.Combine(directory, "project.json"), project.GetRawText());
        File.Copy(databasePath, Path.Combine(directory, "kestrel.db"), overwrite: true);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary));
    }
}
