using Kestrel.Backup;
using static Kestrel.Backup.SnapshotLayout;

namespace Kestrel.Tests.Backup;

public sealed class SnapshotLayoutTests
{
    [Theory]
    [InlineData("kestrel.db", false, Kind.Database, "kestrel.db")]
    [InlineData("./kestrel.db", false, Kind.Database, "kestrel.db")]
    [InlineData("sourcemaps/web/1.0/app.js.map", false, Kind.SourceMap, "sourcemaps/web/1.0/app.js.map")]
    [InlineData("sourcemaps/web/1.0/static/js/app.min.js.map", false, Kind.SourceMap, "sourcemaps/web/1.0/static/js/app.min.js.map")]
    [InlineData("./sourcemaps/web/v%2F2/a/b/c/d.map", false, Kind.SourceMap, "sourcemaps/web/v%2F2/a/b/c/d.map")]
    [InlineData("sourcemaps/web/1.0/static/js/app.min.js", false, Kind.ReleaseFile, "sourcemaps/web/1.0/static/js/app.min.js")]
    [InlineData("sourcemaps/web/1.0/~dist-a/app.js", false, Kind.ReleaseFile, "sourcemaps/web/1.0/~dist-a/app.js")]
    [InlineData("sourcemaps/web/1.0/.map", false, Kind.ReleaseFile, "sourcemaps/web/1.0/.map")]
    [InlineData("sourcemaps/", true, Kind.Folder, "sourcemaps")]
    [InlineData("sourcemaps/web/1.0/", true, Kind.Folder, "sourcemaps/web/1.0")]
    [InlineData("./", true, Kind.Folder, "")]
    public void Accepts_the_documented_layout(string entry, bool isDirectory, Kind kind, string name) =>
        Assert.Equal((kind, name), Classify(entry, isDirectory));

    [Theory]
    [InlineData("kestrel.db", true)]                       // a folder named like the database
    [InlineData("kestrel.db-wal", false)]
    [InlineData(".admin_password", false)]
    [InlineData(".session_secret", false)]
    [InlineData("kestrel.toml", false)]
    [InlineData("other/kestrel.db", false)]
    [InlineData("sourcemaps/web/app.js.map", false)]        // no release
    [InlineData("sourcemaps/web/app.js", false)]            // no release
    [InlineData("sourcemaps/x.map", false)]
    [InlineData("/kestrel.db", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("../kestrel.db", false)]
    [InlineData("sourcemaps/web/../../../etc/x.map", false)]
    [InlineData("sourcemaps/web/./1.0/a.map", false)]
    [InlineData("sourcemaps//web/1.0/a.map", false)]
    [InlineData("sourcemaps/web/1.0/a\\..\\b.map", false)]
    [InlineData("sourcemaps/web/1.0/a\nb.map", false)]
    [InlineData("sourcemaps/web/1.0/a\0.map", false)]
    [InlineData("other/", true)]
    [InlineData("../", true)]
    [InlineData("", false)]
    public void Refuses_anything_else(string entry, bool isDirectory) =>
        Assert.Equal(Kind.Invalid, Classify(entry, isDirectory).Kind);

    [Fact]
    public void Names_files_found_on_disk_relative_to_the_sourcemaps_folder()
    {
        Assert.Equal(("sourcemaps/web/1.0/static/js/app.min.js.map", Kind.SourceMap), EntryOfFile("/data/sourcemaps", "/data/sourcemaps/web/1.0/static/js/app.min.js.map"));
        Assert.Equal(("sourcemaps/web/1.0/static/js/app.min.js", Kind.ReleaseFile), EntryOfFile("/data/sourcemaps", "/data/sourcemaps/web/1.0/static/js/app.min.js"));
        Assert.Null(EntryOfFile("/data/sourcemaps", "/data/sourcemaps/web/app.js.map"));
    }
}

public sealed class SourceMapCheckTests
{
    private static string? Check(string json) => SourceMapCheck.Problem(System.Text.Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA;AACA"}""")]
    [InlineData(")]}'\n{\"version\":3,\"sources\":[\"a.js\"],\"mappings\":\"AAAA\"}")]
    [InlineData("""{"version":3,"sections":[]}""")]
    [InlineData("""{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.js"],"mappings":"AAAA"}}]}""")]
    public void Valid_maps_pass(string json) => Assert.Null(Check(json));

    // The same parser as uploads and resolution: whatever it refuses, backup and verify refuse, in its words.
    [Theory]
    [InlineData("", "is not a usable source map: The source map is not valid JSON")]
    [InlineData("[]", "is not a usable source map: A source map must be a JSON object")]
    [InlineData("""{"sources":["a.js"],"mappings":"AAAA"}""", "is not a usable source map: Only version 3 source maps are supported")]
    [InlineData("""{"version":"3","sources":["a.js"],"mappings":"AAAA"}""", "is not a usable source map: Only version 3")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":["AAAA"]}""", "is not a usable source map: mappings must be a string")]
    [InlineData("""{"version":3,"mappings":"AAAA","sources":"a.js"}""", "is not a usable source map: sources must be a list")]
    [InlineData("""{"version":3,"mappings":"AAAA"}""", "is not a usable source map: The source map has no \"sources\" list")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"AAAA","x":1} trailing""", "is not a usable source map")]
    public void Invalid_maps_say_why(string json, string problem) => Assert.StartsWith(problem, Check(json));

    [Fact]
    public void Deep_nesting_is_not_a_map() =>
        Assert.StartsWith("is not a usable source map: The source map is not valid JSON",
            Check("{\"version\":3,\"sources\":[],\"mappings\":\"\",\"x\":" + new string('[', 100) + new string(']', 100) + "}"));
}
