using System.Text;
using Dapper;
using Kestrel.Issues;
using Kestrel.Platform;

namespace Kestrel.Tags;

public sealed record TagValue(string Value, long Count, DateTime FirstSeen, DateTime LastSeen);

/// <param name="Count">events of the issue that had this key</param>
/// <param name="UniqueValues">how many different values it had</param>
public sealed record TagKey(string Key, long Count, long UniqueValues, IReadOnlyList<TagValue> Values);

public sealed record IssueTags(IReadOnlyList<TagKey> Tags);

public sealed record TagValuePage(string Key, long Count, long UniqueValues, IReadOnlyList<TagValue> Values, string? NextCursor);

/// <summary>
/// Reads the per-issue tag counts the writer keeps (<see cref="IssueTagCounts"/>): an issue's facets and
/// all values of one key, a page at a time. Every statement filters on the caller's project.
/// </summary>
public sealed class TagStore(Database database)
{
    public const int TopValues = 10;

    /// <summary>Keys shown first, in this order; the rest follow by how many events had them.</summary>
    public static readonly string[] LeadingKeys = ["environment", "release", "level", "browser", "os", "url", "user"];

    // Sums are cast to BIGINT: PostgreSQL's sum of bigint is numeric, and Dapper maps a row onto a record only when the types match.
    private sealed record KeyRow(string Key, long Count, long UniqueValues);
    private sealed record ValueRow(string Key, string Value, long Count, long FirstSeen, long LastSeen);

    /// <summary>Every key of the issue with its <paramref name="top"/> most frequent values (ties by value).</summary>
    public IssueTags Summary(long projectId, long issueId, int top = TopValues)
    {
        using var connection = database.Connect();
        var keys = connection.Query<KeyRow>(
            "SELECT key AS Key, CAST(sum(count) AS BIGINT) AS Count, count(*) AS UniqueValues FROM issue_tags WHERE project_id = @projectId AND issue_id = @issueId GROUP BY key",
            new { projectId, issueId }).AsList();
        // One bounded top-N read per key: a hot issue's user key can hold tens of thousands of values, and ranking
        // all rows of the issue at once (a window over every key) sorted them all, ten times slower (performance.md).
        var values = keys.SelectMany(k => connection.Query<ValueRow>("""
            SELECT key AS Key, value AS Value, count AS Count, first_seen AS FirstSeen, last_seen AS LastSeen
            FROM issue_tags WHERE project_id = @projectId AND issue_id = @issueId AND key = @key ORDER BY count DESC, value LIMIT @top
            """, new { projectId, issueId, key = k.Key, top })).ToLookup(v => v.Key, View);
        var ordered = keys
            .OrderBy(k => Array.IndexOf(LeadingKeys, k.Key) is var i and >= 0 ? i : LeadingKeys.Length)
            .ThenByDescending(k => k.Count).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => new TagKey(k.Key, k.Count, k.UniqueValues, values[k.Key].ToList()))
            .ToList();
        return new IssueTags(ordered);
    }

    /// <summary>One key's values, most frequent first, after the cursor; null when the issue never had the key.</summary>
    public TagValuePage? Values(long projectId, long issueId, string key, int limit, string? cursor)
    {
        var after = DecodeCursor(cursor);
        using var connection = database.Connect();
        var totals = connection.QuerySingle<KeyRow>(
            "SELECT @key AS Key, CAST(coalesce(sum(count), 0) AS BIGINT) AS Count, count(*) AS UniqueValues FROM issue_tags WHERE project_id = @projectId AND issue_id = @issueId AND key = @key",
            new { projectId, issueId, key });
        if (totals.UniqueValues == 0) return null;
        var rows = connection.Query<ValueRow>(
            "SELECT key AS Key, value AS Value, count AS Count, first_seen AS FirstSeen, last_seen AS LastSeen FROM issue_tags"
            + " WHERE project_id = @projectId AND issue_id = @issueId AND key = @key"
            + (after is null ? "" : " AND (count < @afterCount OR (count = @afterCount AND value > @afterValue))")
            + " ORDER BY count DESC, value LIMIT @take",
            new { projectId, issueId, key, afterCount = after?.Count, afterValue = after?.Value, take = limit + 1 }).AsList();
        var next = rows.Count > limit ? EncodeCursor(rows[limit - 1].Count, rows[limit - 1].Value) : null;
        return new TagValuePage(key, totals.Count, totals.UniqueValues, rows.Take(limit).Select(View).ToList(), next);
    }

    private static TagValue View(ValueRow r) => new(r.Value, r.Count, IssueView.Time(r.FirstSeen), IssueView.Time(r.LastSeen));

    // A value page ends at (count, value); Cursor takes numbers only, so this one carries the value's text too.
    private static string EncodeCursor(long count, string value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{count}\n{value}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <returns>null for no cursor or one this server did not make</returns>
    public static (long Count, string Value)? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 400) return null;
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var newline = text.IndexOf('\n');
            return newline > 0 && long.TryParse(text.AsSpan(0, newline), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
                ? (count, text[(newline + 1)..]) : null;
        }
        catch (FormatException) { return null; }
    }
}
