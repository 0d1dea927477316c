using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.SourceMaps;

/// <summary>What each bad upload gets: a clear 4xx, and nothing stored, on disk or in the index.</summary>
public sealed class UploadSafetyTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private static readonly byte[] ValidMap = """{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray();

    private static async Task<(HttpStatusCode Status, string Error)> ErrorOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.GetProperty("error").GetString()!);
    }

    private async Task AssertNothingStored(TestProject project)
    {
        Assert.Empty((await project.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        Assert.Empty(StoredFiles.Paths(fixture.Kestrel, project.Slug + "/"));
    }

    [Theory]
    [InlineData("../escape.map", "'..'")]
    [InlineData("static/../../escape.map", "'..'")]
    [InlineData("/etc/passwd.map", "absolute")]
    [InlineData("C:/windows/x.map", "':'")]
    [InlineData("C:\\windows\\x.map", "':'")]
    [InlineData("..\\..\\x.map", "backslash")]
    [InlineData("a//b.map", "empty")]
    [InlineData("./a.map", "'.'")]
    [InlineData("~dist-x/a.map", "starts with '~'")]
    [InlineData("notes.txt", "neither a source map")]
    public async Task File_names_that_climb_out_or_are_not_maps_are_refused(string name, string reason)
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        // The good file first: a refusal must not leave it stored either.
        using var response = await project.UploadAsync("1.0", ("good.js.map", ValidMap), (name, ValidMap));
        var (status, error) = await ErrorOf(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, error);
        await AssertNothingStored(project);
        Assert.False(File.Exists(Path.Combine(fixture.Kestrel.DataDirectory, "sourcemaps", "escape.map")));
        Assert.False(File.Exists(Path.Combine(fixture.Kestrel.DataDirectory, "escape.map")));
    }

    [Fact]
    public async Task A_file_name_with_NUL_is_refused()
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        // HttpClient will not write a NUL into a header, so the multipart body is written by hand.
        var body = Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\0b.map\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n" + Encoding.UTF8.GetString(ValidMap) + "\r\n--b--\r\n");
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        using var response = await project.SendAsync(HttpMethod.Post, UploadClient.ReleasePath("1.0"), content);
        var (status, error) = await ErrorOf(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("control characters", error);
        await AssertNothingStored(project);
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[1,2,3]", "must be a JSON object")]
    [InlineData("""{"version":2,"sources":[],"mappings":""}""", "version 3")]
    [InlineData("""{"version":3,"mappings":"AAAA"}""", "no \"sources\"")]
    [InlineData("""{"version":3,"sources":["a.js"]}""", "neither \"mappings\" nor \"sections\"")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"AA!A"}""", "not a Base64 VLQ digit")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"ACAA"}""", "refers to source 1")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAAC"}""", "refers to name 1")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"AA"}""", "2 fields")]
    [InlineData("""{"version":3,"sources":["a.js"],"names":["n"],"mappings":"AAAAAAA"}""", "more than 5 fields")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"AAgggggggE"}""", "longer than 32 bits")]
    [InlineData("""{"version":3,"sources":["a.js"],"mappings":"AADA"}""", "negative original position")]
    [InlineData("""{"version":3,"sources":["a.js"],"ignoreList":[4],"mappings":"AAAA"}""", "ignoreList names source 4")]
    [InlineData("""{"version":3,"sections":[{"offset":{"line":1,"column":0},"map":{"version":3,"sources":[],"mappings":""}},{"offset":{"line":0,"column":0},"map":{"version":3,"sources":[],"mappings":""}}]}""", "in order")]
    [InlineData("""{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"x.map"}]}""", "url")]
    public async Task Malformed_maps_are_refused_with_the_reason(string map, string reason)
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        using var response = await project.UploadAsync("1.0", ("good.js.map", ValidMap), ("app.min.js.map", Encoding.UTF8.GetBytes(map)));
        var (status, error) = await ErrorOf(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("app.min.js.map is not a valid source map", error);
        Assert.Contains(reason, error);
        await AssertNothingStored(project);
    }

    [Fact]
    public async Task Bad_requests_get_clear_answers()
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        using (var empty = await project.SendAsync(HttpMethod.Post, UploadClient.ReleasePath("1.0"), new MultipartFormDataContent { { new StringContent("x"), "note" } }))
            Assert.Contains("holds no files", (await ErrorOf(empty)).Error);
        using (var json = await project.SendAsync(HttpMethod.Post, UploadClient.ReleasePath("1.0"), new StringContent("{}", Encoding.UTF8, "application/json")))
            Assert.Contains("multipart/form-data", (await ErrorOf(json)).Error);
        using (var twice = await project.UploadAsync("1.0", ("a.js.map", ValidMap), ("a.js.map", ValidMap)))
            Assert.Contains("twice", (await ErrorOf(twice)).Error);
        using (var longName = await project.UploadAsync(new string('r', 201), ("a.js.map", ValidMap)))
            Assert.Contains("at most 200 characters", (await ErrorOf(longName)).Error);
        using (var wideName = await project.UploadAsync(new string('é', 100), ("a.js.map", ValidMap)))
            Assert.Contains("too long to store", (await ErrorOf(wideName)).Error);
        using (var noToken = await fixture.Kestrel.Http.PostAsync(UploadClient.ReleasePath("1.0"), new MultipartFormDataContent()))
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        using (var publicKey = await project.SendAsync(HttpMethod.Get, "/api/releases", token: project.PublicKey))
            Assert.Equal(HttpStatusCode.Forbidden, publicKey.StatusCode);
        await AssertNothingStored(project);
    }

    [Fact]
    public async Task A_project_sees_and_resolves_only_its_own_maps()
    {
        var mine = await fixture.Kestrel.CreateProjectAsync();
        var other = await fixture.Kestrel.CreateProjectAsync();
        await mine.UploadOkAsync("1.0", ("a.js.map", ValidMap));
        Assert.Empty((await other.GetJsonAsync("/api/releases")).GetProperty("releases").EnumerateArray());
        using var listed = await other.SendAsync(HttpMethod.Get, UploadClient.ReleasePath("1.0"));
        Assert.Equal(HttpStatusCode.NotFound, listed.StatusCode);
        using var deleted = await other.SendAsync(HttpMethod.Delete, UploadClient.ReleasePath("1.0"));
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
        Assert.Single((await mine.GetJsonAsync(UploadClient.ReleasePath("1.0"))).GetProperty("files").EnumerateArray());
    }

    [Fact]
    public async Task A_file_where_a_folder_of_the_same_name_is_stored_is_a_conflict_without_server_paths()
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        await project.UploadOkAsync("1.0", ("a.js.map", ValidMap));
        using var response = await project.UploadAsync("1.0", ("a.js.map/b.js.map", ValidMap));
        var (status, error) = await ErrorOf(response);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.StartsWith("a.js.map/b.js.map cannot be stored", error);
        Assert.DoesNotContain(fixture.Kestrel.DataDirectory, error);
        Assert.Single((await project.GetJsonAsync(UploadClient.ReleasePath("1.0"))).GetProperty("files").EnumerateArray());
    }

    /// <summary>sentry-cli's chunk protocol, spoken by hand to send what the real client never would.</summary>
    [Fact]
    public async Task Chunks_and_bundles_that_lie_are_refused()
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        const string chunkUpload = "/api/0/organizations/o/chunk-upload/";
        var data = "hello"u8.ToArray();

        using (var mismatch = await project.SendAsync(HttpMethod.Post, chunkUpload, Chunk("file", new string('a', 40), data)))
            Assert.Contains("does not match its SHA-1", (await ErrorOf(mismatch)).Error);
        var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(new byte[9 * 1024 * 1024]);
        using (var big = await project.SendAsync(HttpMethod.Post, chunkUpload, Chunk("file_gzip", new string('b', 40), bomb.ToArray())))
            Assert.Contains("at most", (await ErrorOf(big)).Error);

        // A real bundle whose manifest names a file that climbs out of the release.
        var bundle = Bundle(("files/_/_/x.js.map", "~/../../../escape.js.map", ValidMap));
        var sha1 = Convert.ToHexStringLower(SHA1.HashData(bundle));
        using (var ok = await project.SendAsync(HttpMethod.Post, chunkUpload, Chunk("file", sha1, bundle)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var assemble = JsonContent(new { checksum = sha1, chunks = new[] { sha1 }, projects = new[] { project.Slug }, version = "1.0" });
        using var answer = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/o/artifactbundle/assemble/", assemble);
        var result = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("error", result.GetProperty("state").GetString());
        Assert.Contains("'..'", result.GetProperty("detail").GetString());
        await AssertNothingStored(project);

        var missing = JsonContent(new { checksum = new string('c', 40), chunks = new[] { new string('c', 40) }, projects = new[] { project.Slug } });
        using var notFound = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/o/artifactbundle/assemble/", missing);
        var state = JsonDocument.Parse(await notFound.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("not_found", state.GetProperty("state").GetString());
        Assert.Equal(new string('c', 40), state.GetProperty("missingChunks")[0].GetString());

        var otherProject = JsonContent(new { checksum = sha1, chunks = new[] { sha1 }, projects = new[] { "someone-else" } });
        using var refused = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/o/artifactbundle/assemble/", otherProject);
        Assert.Contains("not to 'someone-else'", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }

    /// <summary>sentry-cli 2.x's fallbacks when a server has no artifact bundles: per-file upload, and the release-bundle assemble.</summary>
    [Fact]
    public async Task The_2x_legacy_release_file_endpoints_store_and_list_files()
    {
        var project = await fixture.Kestrel.CreateProjectAsync();
        var files = $"/api/0/projects/o/{project.Slug}/releases/legacy%401.0/files/";
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("var a=1;\n//# sourceMappingURL=app.min.js.map\n"u8.ToArray()), "file", "app.min.js" },
            { new StringContent("~/static/app.min.js"), "name" },
            { new StringContent("Sourcemap:maps/app.map"), "header" },
        };
        using (var script = await project.SendAsync(HttpMethod.Post, files, form))
            Assert.Equal(HttpStatusCode.Created, script.StatusCode);
        using (var map = await project.SendAsync(HttpMethod.Post, files,
                   new MultipartFormDataContent { { new ByteArrayContent(ValidMap), "file", "app.map" }, { new StringContent("~/static/maps/app.map"), "name" } }))
            Assert.Equal(HttpStatusCode.Created, map.StatusCode);
        var listed = (await project.GetJsonAsync(files)).EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order();
        Assert.Equal(["~/static/app.min.js", "~/static/maps/app.map"], listed);
        var script1 = (await project.GetJsonAsync(UploadClient.ReleasePath("legacy@1.0"))).GetProperty("files").EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "static/app.min.js");
        Assert.Equal("maps/app.map", script1.GetProperty("sourceMappingUrl").GetString()); // the header wins over the comment

        using (var wrongProject = await project.SendAsync(HttpMethod.Get, "/api/0/projects/o/not-mine/releases/legacy%401.0/files/"))
            Assert.Equal(HttpStatusCode.NotFound, wrongProject.StatusCode);

        // Release bundle: the bare ZIP form, assembled under the release in the path.
        var bundle = Bundle(("files/_/_/b.js.map", "~/b.js.map", ValidMap), sysb: false);
        var sha1 = Convert.ToHexStringLower(SHA1.HashData(bundle));
        using (var chunk = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/o/chunk-upload/", Chunk("file", sha1, bundle)))
            Assert.Equal(HttpStatusCode.OK, chunk.StatusCode);
        using var assembled = await project.SendAsync(HttpMethod.Post, "/api/0/organizations/o/releases/legacy%401.0/assemble/",
            JsonContent(new { checksum = sha1, chunks = new[] { sha1 } }));
        Assert.Equal("ok", JsonDocument.Parse(await assembled.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString());
        Assert.Contains((await project.GetJsonAsync(UploadClient.ReleasePath("legacy@1.0"))).GetProperty("files").EnumerateArray(),
            f => f.GetProperty("name").GetString() == "b.js.map");
    }

    private static MultipartFormDataContent Chunk(string part, string sha1, byte[] data)
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { content, part, sha1 } };
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>An artifact bundle as sentry-cli lays it out: SYSB, version 2, then a ZIP with manifest.json.</summary>
    private static byte[] Bundle((string ZipPath, string Url, byte[] Content) file, bool sysb = true)
    {
        var output = new MemoryStream();
        if (sysb) output.Write([(byte)'S', (byte)'Y', (byte)'S', (byte)'B', 2, 0, 0, 0]);
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry(file.ZipPath).Open()) entry.Write(file.Content);
            var manifest = JsonSerializer.Serialize(new { files = new Dictionary<string, object> { [file.ZipPath] = new { type = "source_map", url = file.Url, headers = new { } } } });
            using var m = zip.CreateEntry("manifest.json").Open();
            m.Write(Encoding.UTF8.GetBytes(manifest));
        }
        return output.ToArray();
    }
}
