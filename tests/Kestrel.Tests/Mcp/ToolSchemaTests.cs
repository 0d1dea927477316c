using System.Text.Json;
using Kestrel.Mcp;
using ModelContextProtocol.Protocol;

namespace Kestrel.Tests.Mcp;

public sealed class ToolSchemaTests
{
    private static readonly Tool Tool = new()
    {
        Name = "get_error",
        InputSchema = JsonDocument.Parse("""
            {"type":"object","properties":{
              "issue_id":{"type":"integer","description":"The issue's id."},
              "note":{"type":["string","null"]},
              "flag":{"type":"boolean"}},
             "required":["issue_id"]}
            """).RootElement,
    };

    private static string? Problem(string arguments) =>
        ToolArguments.Problem(Tool, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments));

    [Theory]
    [InlineData("""{"issue_id":1}""", null)]
    [InlineData("""{"issue_id":"12"}""", null)]
    [InlineData("""{"issue_id":1,"note":null,"flag":true}""", null)]
    [InlineData("""{}""", "issue_id is required: The issue's id.")]
    [InlineData("""{"issue_id":null}""", "issue_id is required: The issue's id.")]
    [InlineData("""{"issue_id":1.5}""", "issue_id must be a whole number.")]
    [InlineData("""{"issue_id":"1e3"}""", "issue_id must be a whole number.")]
    [InlineData("""{"issue_id":[1]}""", "issue_id must be a whole number.")]
    [InlineData("""{"issue_id":1,"note":5}""", "note must be a string or left out.")]
    [InlineData("""{"issue_id":1,"flag":"yes"}""", "flag must be true or false.")]
    [InlineData("""{"issue_id":1,"Note":"x"}""", "Note is not an argument of get_error; it takes issue_id, note, flag.")]
    public void Arguments_are_checked_against_the_input_schema(string arguments, string? problem) =>
        Assert.Equal(problem, Problem(arguments));

    [Fact]
    public void No_arguments_at_all_is_a_missing_required_one() =>
        Assert.Equal("issue_id is required: The issue's id.", ToolArguments.Problem(Tool, null));

    [Fact]
    public void Properties_that_may_be_null_are_not_required_at_any_depth()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{
               "a":{"type":"string"},
               "b":{"type":["string","null"]},
               "list":{"type":"array","items":{"type":"object","properties":{"c":{"type":"integer"},"d":{"type":["object","null"]}},"required":["c","d"]}}},
             "required":["a","b","list"]}
            """).RootElement;
        var relaxed = ToolSchemas.NullsOptional(schema);
        Assert.Equal(["a", "list"], relaxed.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["c"], relaxed.GetProperty("properties").GetProperty("list").GetProperty("items").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }
}
