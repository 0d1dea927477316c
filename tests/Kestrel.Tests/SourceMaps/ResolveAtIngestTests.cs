using System.Text.Json;
using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.SourceMaps;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.SourceMaps;

public sealed class ResolveAtIngestTests
{
    /// <summary>Ingest asks whether the project has any files for every event: a database that cannot answer must not fail the event.</summary>
    [Fact]
    public void An_event_is_kept_as_it_came_when_the_database_cannot_say_whether_the_project_has_maps()
    {
        using var directory = new TempDirectory();
        var options = new KestrelOptions { DataDirectory = directory.Path };
        var unreachable = new Database(Path.Combine(directory.Path, "absent", "kestrel.db"), SqliteOpenMode.ReadWrite);
        var resolver = SourceMapResolver.ForReading(unreachable, options, NullLoggerFactory.Instance);
        using var document = JsonDocument.Parse("""
            {"platform": "javascript", "exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"filename": "app.min.js", "lineno": 1, "colno": 2}]}}]}}
            """);
        var e = EventNormaliser.Normalise(document.RootElement, DateTimeOffset.UnixEpoch);

        Assert.Throws<SqliteException>(() => unreachable.Connect().Dispose()); // what the resolver meets
        Assert.Same(e, resolver.ResolveAtIngest(1, e));
    }
}
