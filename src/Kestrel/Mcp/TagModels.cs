using System.ComponentModel;
using Kestrel.Tags;

namespace Kestrel.Mcp;

[Description("One value of a tag: how many of the issue's events had it, as a count and a percentage of all its events.")]
public sealed record TagShareValue(string Value, long Count, double Percent, DateTime FirstSeen, DateTime LastSeen)
{
    public static TagShareValue From(TagValue value, long eventCount) =>
        new(value.Value, value.Count, eventCount == 0 ? 0 : Math.Round(100.0 * value.Count / eventCount, 1), value.FirstSeen, value.LastSeen);
}

[Description("The most frequent values of one tag of the issue.")]
public sealed record TagShare(string Key,
    [property: Description("How many different values the issue's events had.")] long UniqueValues,
    [property: Description("The most frequent values, most frequent first.")] IReadOnlyList<TagShareValue> Values)
{
    /// <summary>The keys get_error summarises, in this order.</summary>
    public static readonly string[] Keys = ["environment", "release", "browser", "os", "url"];

    public static List<TagShare> Top(IssueTags tags, long eventCount, int top) =>
        Keys.Select(key => tags.Tags.FirstOrDefault(t => t.Key == key)).OfType<TagKey>()
            .Select(t => new TagShare(t.Key, t.UniqueValues, t.Values.Take(top).Select(v => TagShareValue.From(v, eventCount)).ToList()))
            .ToList();
}

public sealed record TagValueList(long IssueId, string Key,
    [property: Description("All events of the issue (the base of the percentages).")] long EventCount,
    [property: Description("How many of its events had this tag.")] long TaggedEvents,
    [property: Description("How many different values they had.")] long UniqueValues,
    [property: Description("Values, most frequent first.")] IReadOnlyList<TagShareValue> Values);
