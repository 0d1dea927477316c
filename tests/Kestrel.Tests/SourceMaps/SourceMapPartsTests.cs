using System.Text;
using System.Text.Json.Nodes;
using Kestrel.SourceMaps;

namespace Kestrel.Tests.SourceMaps;

/// <summary>Release-name encoding, artifact paths and URLs, script comments, the cache and the frame resolver, as pure functions.</summary>
public sealed class SourceMapPartsTests
{
    [Theory]
    [InlineData("1.0.0", "1.0.0")]
    [InlineData("app@1.2.3+build", "app@1.2.3+build")]
    [InlineData("web/1.0", "web~2F1.0")]
    [InlineData("..", "~2E.")]
    [InlineData(".", "~2E")]
    [InlineData("../../etc", "~2E.~2F..~2Fetc")]
    [InlineData("a b", "a~20b")]
    [InlineData("~none", "~7Enone")]
    [InlineData("é", "~C3~A9")]
    [InlineData("a\0b", "a~00b")]
    public void Release_names_encode_to_one_safe_directory_and_back(string name, string directory)
    {
        Assert.Equal(directory, ReleaseNames.Encode(name));
        Assert.Equal(name, ReleaseNames.Decode(directory));
        Assert.DoesNotContain('/', directory);
        Assert.NotEqual(ReleaseNames.NoRelease, directory);
    }

    [Theory]
    [InlineData("~none")]     // the reserved directory
    [InlineData("~41")]       // not canonical: "A" encodes as "A"
    [InlineData("~2f")]       // lowercase hex is never produced
    [InlineData("a~2")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    [InlineData("~C3")]       // half a UTF-8 character
    public void Directories_that_are_no_encoding_decode_to_nothing(string directory) => Assert.Null(ReleaseNames.Decode(directory));

    [Fact]
    public void Every_character_round_trips()
    {
        var name = string.Concat(Enumerable.Range(1, 0x2FF).Select(c => (char)c)).Replace("\ud800", "");
        foreach (var chunk in name.Chunk(20).Select(c => new string(c)))
            Assert.Equal(chunk, ReleaseNames.Decode(ReleaseNames.Encode(chunk)));
        Assert.Null(ReleaseNames.TryEncode("\ud800", out var error));
        Assert.Contains("Unicode", error);
    }

    [Theory]
    [InlineData("https://cdn.example/static/js/app.min.js?v=3#x", "static/js/app.min.js")]
    [InlineData("~/static/js/app.min.js", "static/js/app.min.js")]
    [InlineData("app:///_next/x.js", "_next/x.js")]
    [InlineData("/home/app/dist/bundle.js", "home/app/dist/bundle.js")]
    [InlineData("C:\\app\\dist\\x.js", "app/dist/x.js")]
    [InlineData("async https://x/y.js", "y.js")]
    [InlineData("app.js", "app.js")]
    public void Urls_reduce_to_the_path_frames_are_matched_on(string url, string path) => Assert.Equal(path, ArtifactPaths.UrlPath(url));

    [Fact]
    public void Candidates_drop_leading_folders_one_by_one()
    {
        Assert.Equal(["static/js/app.min.js", "js/app.min.js", "app.min.js"], ArtifactPaths.Candidates("https://cdn.example/static/js/app.min.js?v=3"));
        Assert.Empty(ArtifactPaths.Candidates("https://cdn.example/"));
    }

    [Theory]
    [InlineData("static/js/app.min.js", "app.min.js.map", "static/js/app.min.js.map")]
    [InlineData("static/js/app.min.js", "../../maps/app.map", "maps/app.map")]
    [InlineData("static/js/app.min.js", "./x.map?v=1", "static/js/x.map")]
    [InlineData("static/js/app.min.js", "https://cdn.example/maps/x.map", "maps/x.map")]
    [InlineData("static/js/app.min.js", "/maps/x.map", "maps/x.map")]
    [InlineData("app.min.js", "../../../x.map", "x.map")]
    [InlineData("app.min.js", "data:application/json;base64,e30=", null)]
    public void Map_references_resolve_against_their_script(string script, string reference, string? expected) =>
        Assert.Equal(expected, ArtifactPaths.ResolveReference(script, reference));

    [Theory]
    [InlineData("var a=1;\n//# sourceMappingURL=app.js.map\n", "app.js.map", null)]
    [InlineData("var a=1;\n//# sourceMappingURL=app.js.map\n\n//# debugId=8fbd2b5a-6c4c-4e0a-a2b9-4c1a0d2e1f30\n", "app.js.map", "8fbd2b5a-6c4c-4e0a-a2b9-4c1a0d2e1f30")]
    [InlineData("var a=1;\r\n//@ sourceMappingURL=old.map\r\n// a licence comment\r\n", "old.map", null)]
    [InlineData("//# sourceMappingURL=early.map\nvar code=1;\n", null, null)]
    [InlineData("var s='//# sourceMappingURL=fake.map'\n", null, null)]
    public void Trailing_comments_give_the_map_and_debug_id(string script, string? reference, string? debugId) =>
        Assert.Equal((reference, debugId), ArtifactIntake.ReadTrailingComments(Encoding.UTF8.GetBytes(script)));

    [Fact]
    public void An_inline_map_is_stored_as_a_map_file_beside_its_script()
    {
        var map = Convert.ToBase64String("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8);
        var (files, error) = ArtifactIntake.Take("js/app.js", "~/js/app.js", null, Encoding.UTF8.GetBytes($"var a;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{map}\n"));
        Assert.Null(error);
        Assert.Equal(["js/app.js", "js/app.js.map"], files!.Select(f => f.RelativePath));
        Assert.Equal("app.js.map", files![0].SourcemapRef);
        Assert.Equal(SourceFile.SourceMapKind, files[1].Kind);
    }

    [Fact]
    public void The_cache_evicts_the_least_recently_used_map_beyond_its_budget()
    {
        var map = SourceMap.Parse("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray());
        var cache = new SourceMapCache(map.MemoryBytes * 2);
        var loads = 0;
        SourceMap Load() { loads++; return SourceMap.Parse("""{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray()); }
        cache.GetOrLoad("a", Load);
        cache.GetOrLoad("b", Load);
        cache.GetOrLoad("a", Load);       // a is now the most recently used
        cache.GetOrLoad("c", Load);       // evicts b
        Assert.Equal(3, loads);
        cache.GetOrLoad("a", Load);
        Assert.Equal(3, loads);
        cache.GetOrLoad("b", Load);
        Assert.Equal(4, loads);
        Assert.Equal(2, cache.Count);
        Assert.True(cache.Bytes <= cache.BudgetBytes);
        Assert.Equal(2, cache.Evictions);

        var tiny = new SourceMapCache(10);
        Assert.NotNull(tiny.GetOrLoad("a", Load)); // larger than the whole budget: used once, not kept
        Assert.Equal(0, tiny.Count);
    }

    [Fact]
    public void Frames_are_named_by_their_callers_and_marked_by_ignore_list_and_node_modules()
    {
        // Generated line 0: col 0 -> app.js line 1 (call site token "helper"); col 10 -> app.js line 5;
        // col 20 -> vendor.js (ignore-listed); col 30 -> node_modules/lib/x.js.
        var map = SourceMap.Parse(Encoding.UTF8.GetBytes("""
            {"version":3,"sources":["src/app.js","vendor.js","../node_modules/lib/x.js"],"ignoreList":[1],"names":["helper"],
             "sourcesContent":["function main() {\n  helper();\n}\nfunction helper() {\n  throw new Error('x');\n}\n",null,null],
             "mappings":"AACEA,UAGF,UCAA,UCAA"}
            """));
        var root = JsonNode.Parse("""
            {"platform":"node","exception":{"values":[{"type":"Error","stacktrace":{"frames":[
              {"filename":"/srv/dist/app.js","lineno":1,"colno":1,"function":"a"},
              {"filename":"/srv/dist/app.js","lineno":1,"colno":11,"function":"b"},
              {"filename":"/srv/dist/app.js","lineno":1,"colno":21,"function":"c","in_app":true},
              {"filename":"/srv/dist/app.js","lineno":1,"colno":31,"function":"d","in_app":true},
              {"filename":"node:internal/process","lineno":1,"colno":1,"function":"e"}]}}]}}
            """)!.AsObject();

        Assert.True(FrameResolver.Resolve(root, r => r.File == "/srv/dist/app.js" ? new FoundMap(map, "~/dist/app.js.map", "release") : null, _ => "none"));
        var frames = root["exception"]!["values"]![0]!["stacktrace"]!["frames"]!.AsArray().Select(f => f!.AsObject()).ToArray();
        Assert.Equal("main", frames[0]["function"]!.GetValue<string>());      // no caller: the enclosing declaration
        Assert.Equal("helper", frames[1]["function"]!.GetValue<string>());    // the caller's call site names it
        Assert.Equal(5, frames[1]["lineno"]!.GetValue<int>());
        Assert.Equal("throw new Error('x');", frames[1]["context_line"]!.GetValue<string>().Trim());
        Assert.Equal(["function helper() {"], frames[1]["pre_context"]!.AsArray().Select(l => l!.GetValue<string>().Trim()).TakeLast(1));
        Assert.True(frames[1]["in_app"]!.GetValue<bool>());                   // not said before, resolved into the app
        Assert.False(frames[2]["in_app"]!.GetValue<bool>());                  // ignoreList
        Assert.False(frames[3]["in_app"]!.GetValue<bool>());                  // node_modules
        Assert.Equal("node_modules/lib/x.js", frames[3]["filename"]!.GetValue<string>());
        Assert.Equal("e", frames[4]["function"]!.GetValue<string>());         // Node's own file: left alone
        Assert.Null(frames[4]["data"]);
        var raw = root["exception"]!["values"]![0]!["raw_stacktrace"]!["frames"]!.AsArray();
        Assert.Equal("a", raw[0]!["function"]!.GetValue<string>());

        // Running again changes nothing: resolved frames are skipped.
        Assert.False(FrameResolver.Resolve(root, _ => throw new InvalidOperationException("no lookup expected"), _ => "none"));
    }

    [Fact]
    public void An_outermost_anonymous_function_is_not_named_after_what_it_calls()
    {
        // Same mappings as above: generated column 0 -> line 2, column 3 (the call of submitOrder); column 10 -> line 5.
        var map = SourceMap.Parse(Encoding.UTF8.GetBytes("""
            {"version":3,"sources":["src/app.js"],"names":["submitOrder"],
             "sourcesContent":["setTimeout(() => {\n  submitOrder();\n}, 0);\nfunction submitOrder() {\n  throw new Error('x');\n}\n"],
             "mappings":"AACEA,UAGF"}
            """));
        var root = JsonNode.Parse("""
            {"platform":"node","exception":{"values":[{"type":"Error","stacktrace":{"frames":[
              {"filename":"/srv/dist/app.js","lineno":1,"colno":1,"function":"Timeout._onTimeout"},
              {"filename":"/srv/dist/app.js","lineno":1,"colno":11,"function":"b"}]}}]}}
            """)!.AsObject();
        Assert.True(FrameResolver.Resolve(root, _ => new FoundMap(map, "~/dist/app.js.map", "release"), _ => "none"));
        var frames = root["exception"]!["values"]![0]!["stacktrace"]!["frames"]!.AsArray();
        Assert.Equal(["<anonymous>", "submitOrder"], frames.Select(f => f!["function"]!.GetValue<string>()));
    }

    [Fact]
    public void Thread_stack_traces_are_resolved_too()
    {
        var map = SourceMap.Parse("""{"version":3,"sources":["src/a.js"],"names":[],"mappings":"AAAA"}"""u8.ToArray());
        var root = JsonNode.Parse("""{"platform":"javascript","threads":{"values":[{"id":1,"stacktrace":{"frames":[{"abs_path":"https://x/app.js","lineno":1,"colno":1}]}}]}}""")!.AsObject();
        Assert.True(FrameResolver.Resolve(root, _ => new FoundMap(map, "~/app.js.map", "release"), _ => "none"));
        var thread = root["threads"]!["values"]![0]!;
        Assert.Equal("src/a.js", thread["stacktrace"]!["frames"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal("https://x/app.js", thread["raw_stacktrace"]!["frames"]![0]!["abs_path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("function placeOrder(order) {\n  const t = 1;\n  return t;", 2, 5, "placeOrder")]
    [InlineData("const total = (items) => {\n  return items.length;", 1, 3, "total")]
    [InlineData("class A {\n  async load(id) {\n    if (x) {\n      go();", 3, 6, "load")]
    [InlineData("module.exports.handler = async function () {\n  x();", 1, 2, "handler")]
    [InlineData("if (a) {\n  b();", 1, 2, null)]
    public void The_enclosing_declaration_names_a_position(string source, int line, int column, string? expected) =>
        Assert.Equal(expected, ScopeNames.Find(source.Split('\n'), line, column));
}
