using System.Formats.Tar;
using System.IO.Compression;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Backup;

/// <summary><c>kestrel verify</c>: exit 0 for a good snapshot, 1 with a sentence per problem for anything else.</summary>
[Trait("Engine", "sqlite")] // verify reads only the archive, the same on both engines; these archives are crafted from a SQLite data directory
public sealed class VerifyTests : IAsyncLifetime
{
    private readonly TempDirectory data = new();
    private readonly TempDirectory work = new();
    private string good = "";

    /// <summary>One real snapshot with two events and two maps, made by the CLI without a server.</summary>
    public async Task InitializeAsync()
    {
        Assert.Equal(0, (await Snapshots.Kestrel(data.Path, "project", "create", "app")).ExitCode);
        Snapshots.WriteMap(data.Path, "app/1.0/static/js/app.min.js.map");
        Snapshots.WriteMap(data.Path, "app/1.0/index.map", Snapshots.IndexMap);
        good = Path.Combine(work.Path, "good.tar.gz");
        var backup = await Snapshots.Kestrel(data.Path, "backup", good);
        Assert.True(backup.ExitCode == 0, backup.Stderr);
    }

    public Task DisposeAsync()
    {
        data.Dispose();
        work.Dispose();
        return Task.CompletedTask;
    }

    private async Task<KestrelProcess.CliResult> VerifyAsync(string archive) => await Snapshots.Kestrel(data.Path, "verify", archive);

    private static void AssertRejected(KestrelProcess.CliResult result, string problem)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(problem, result.Stderr);
        Assert.EndsWith("is not a usable Kestrel snapshot.\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task A_good_snapshot_passes_with_its_counts()
    {
        var result = await VerifyAsync(good);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("database integrity ok, 1 project, 0 issues, 0 events, 2 maps, every map valid.", result.Stdout);
        var json = (await Snapshots.Kestrel(data.Path, "verify", good, "--json")).Json;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(2, json.GetProperty("maps").GetInt32());
    }

    [Fact]
    public async Task An_archive_made_again_by_GNU_tar_from_the_extracted_files_passes()
    {
        using var extracted = new TempDirectory();
        await Tool.RunOkAsync("tar", "-xzf", good, "-C", extracted.Path);
        var again = Path.Combine(work.Path, "again.tar.gz");
        await Tool.RunOkAsync("tar", "-czf", again, "-C", extracted.Path, ".");
        Assert.Equal(0, (await VerifyAsync(again)).ExitCode);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(200)]
    public async Task A_truncated_archive_fails(int bytesCut)
    {
        var bytes = File.ReadAllBytes(good);
        var cut = Path.Combine(work.Path, "cut.tar.gz");
        File.WriteAllBytes(cut, bytes[..^bytesCut]);
        AssertRejected(await VerifyAsync(cut), "the archive is truncated");
    }

    [Fact]
    public async Task A_file_that_is_not_a_tar_gz_fails()
    {
        var text = Path.Combine(work.Path, "notes.tar.gz");
        File.WriteAllText(text, "not an archive");
        AssertRejected(await VerifyAsync(text), "is not a .tar.gz");
        var missing = await VerifyAsync(Path.Combine(work.Path, "nothing.tar.gz"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is no archive at", missing.Stderr);
    }

    [Fact]
    public async Task A_corrupted_database_fails_the_integrity_check()
    {
        using var extracted = new TempDirectory();
        await Tool.RunOkAsync("tar", "-xzf", good, "-C", extracted.Path);
        using (var file = new FileStream(Path.Combine(extracted.Path, "kestrel.db"), FileMode.Open, FileAccess.ReadWrite))
        {
            var header = new byte[18];
            file.ReadExactly(header);
            var pageSize = header[16] << 8 | header[17]; // the header's page size, big-endian
            file.Seek(pageSize * 2 + 8, SeekOrigin.Begin); // page 3 (projects): its cell pointers
            file.Write(Enumerable.Repeat((byte)0xFF, 64).ToArray());
        }
        var corrupted = Path.Combine(work.Path, "corrupted.tar.gz");
        await Tool.RunOkAsync("tar", "-czf", corrupted, "-C", extracted.Path, "kestrel.db", "sourcemaps");
        AssertRejected(await VerifyAsync(corrupted), "kestrel.db fails SQLite's integrity check");

        File.WriteAllText(Path.Combine(extracted.Path, "kestrel.db"), "SQLite? no.");
        var notDatabase = Path.Combine(work.Path, "text.tar.gz");
        await Tool.RunOkAsync("tar", "-czf", notDatabase, "-C", extracted.Path, "kestrel.db");
        AssertRejected(await VerifyAsync(notDatabase), "kestrel.db is not an SQLite database");
    }

    [Theory]
    [InlineData("""{"version":2,"sources":[],"mappings":"AAAA"}""", "is not a usable source map: Only version 3 source maps are supported")]
    [InlineData("""{"version":3,"sources":[]}""", "is not a usable source map: The source map has neither \"mappings\" nor \"sections\"")]
    [InlineData("{\"version\":3,\"mappings\":\"AAAA\"", "is not a usable source map: The source map is not valid JSON")]
    [InlineData("""{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3}}]}""", "is not a usable source map")]
    public async Task A_bad_map_fails_and_is_named(string content, string problem)
    {
        using var extracted = new TempDirectory();
        await Tool.RunOkAsync("tar", "-xzf", good, "-C", extracted.Path);
        Snapshots.WriteMap(extracted.Path, "app/2.0/static/js/broken.js.map", content);
        var bad = Path.Combine(work.Path, "bad-map.tar.gz");
        await Tool.RunOkAsync("tar", "-czf", bad, "-C", extracted.Path, "kestrel.db", "sourcemaps");
        AssertRejected(await VerifyAsync(bad), $"'sourcemaps/app/2.0/static/js/broken.js.map' {problem}");
    }

    [Theory]
    [InlineData("../evil.map", "is not part of a Kestrel snapshot")]
    [InlineData("/etc/evil.map", "is not part of a Kestrel snapshot")]
    [InlineData("sourcemaps/app/../../evil.map", "is not part of a Kestrel snapshot")]
    [InlineData(".admin_password", "is not part of a Kestrel snapshot")]
    [InlineData("sourcemaps/app/1.0.map", "is not part of a Kestrel snapshot")]
    [InlineData("sourcemaps/app/1.0/\u001b[31mred.map", "'sourcemaps/app/1.0/\\x1b[31mred.map' is not part of a Kestrel snapshot")]
    public async Task Entries_outside_the_layout_fail(string name, string problem)
    {
        var hostile = WithExtraEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("{}"u8.ToArray()) });
        AssertRejected(await VerifyAsync(hostile), problem);
    }

    [Fact]
    public async Task Links_and_duplicates_fail()
    {
        var link = WithExtraEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sourcemaps/app/1.0/link.map") { LinkName = "/etc/passwd" });
        AssertRejected(await VerifyAsync(link), "'sourcemaps/app/1.0/link.map' is a SymbolicLink, not a file or folder");
        var twice = WithExtraEntry(new PaxTarEntry(TarEntryType.RegularFile, "kestrel.db") { DataStream = new MemoryStream([1, 2, 3]) });
        AssertRejected(await VerifyAsync(twice), "'kestrel.db' is in the archive twice");
        var mapsOnly = Path.Combine(work.Path, "maps-only.tar.gz");
        using (var file = File.Create(mapsOnly))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "sourcemaps/app/1.0/a.map") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Snapshots.ValidMap)) });
        AssertRejected(await VerifyAsync(mapsOnly), "the archive has no kestrel.db at its root");
    }

    /// <summary>The good snapshot's entries followed by one more, written with .NET's tar writer (GNU tar would clean the names up).</summary>
    private string WithExtraEntry(TarEntry extra)
    {
        var path = Path.Combine(work.Path, $"hostile-{Guid.NewGuid():N}.tar.gz");
        using var output = File.Create(path);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip);
        using (var input = new GZipStream(File.OpenRead(good), CompressionMode.Decompress))
        using (var reader = new TarReader(input))
            while (reader.GetNextEntry(copyData: true) is { } entry) writer.WriteEntry(entry);
        writer.WriteEntry(extra);
        return path;
    }
}
