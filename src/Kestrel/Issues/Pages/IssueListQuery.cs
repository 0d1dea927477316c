using Dapper;
using Kestrel.Platform;
using Kestrel.Search;

namespace Kestrel.Issues.Pages;

/// <summary>
/// What the issue list shows: one status tab, an optional search (as typed, and parsed: <see cref="Query"/>),
/// a sort order and a keyset cursor. A search that does not parse shows <see cref="SearchProblem"/> and no issues.
/// </summary>
public sealed record IssueListFilter(string Status, string? Search, string Sort, string? Cursor)
{
    public SearchQuery Query { get; init; } = SearchQuery.All;
    public string? SearchProblem { get; init; }
}

/// <summary>One page of the list, the count of each status tab (with the search applied) and each issue's last 24 hours.</summary>
public sealed record IssueList(IReadOnlyList<IssueRow> Issues, IReadOnlyDictionary<string, long> Counts,
    IReadOnlyDictionary<long, long[]> Last24Hours, string? NextCursor);

/// <summary>
/// The issue list's queries. Every sort pages by keyset (sort key, id) rather than OFFSET, so a page is
/// as cheap on page 400 as on page 1 and stays exact while events arrive. Hourly counts come from
/// issue_hourly for the page's issues only.
/// </summary>
public sealed class IssueListQuery(Database database)
{
    public const int PageSize = 25;
    public static readonly string[] Statuses = ["open", "resolved", "ignored"];

    /// <summary>Sort names in URLs and the column each orders by (newest or largest first).</summary>
    public static readonly IReadOnlyDictionary<string, string> Sorts = new Dictionary<string, string>
    {
        ["last_seen"] = "i.last_seen",
        ["first_seen"] = "i.first_seen",
        ["events"] = "i.event_count",
        ["users"] = "i.users_affected",
    };

    public IssueList Run(long projectId, IssueListFilter filter, DateTimeOffset now)
    {
        if (filter.SearchProblem is not null) return new IssueList([], new Dictionary<string, long>(), new Dictionary<long, long[]>(), null);
        var after = Cursor.Decode(filter.Cursor, 2);
        var parameters = new DynamicParameters(new { projectId, status = filter.Status, afterKey = after?[0], afterId = after?[1], take = PageSize + 1 });
        using var connection = database.Connect();
        var search = SearchSql.Conditions(database.Engine, filter.Query, parameters, now, () => ReleaseOrder.Newest(connection, null, projectId));
        var rows = connection.Query<IssueRow>(PageSql(filter.Sort, search, after is not null), parameters).AsList();
        string? next = null;
        if (rows.Count > PageSize)
        {
            var last = rows[PageSize - 1];
            next = Cursor.Encode(SearchSql.SortKey(Sorts[filter.Sort], last), last.Id);
            rows.RemoveAt(PageSize);
        }
        var counts = connection.Query<(string Status, long Count)>(CountSql(search), parameters)
            .ToDictionary(r => r.Status, r => r.Count);
        return new IssueList(rows, counts, Hourly(connection, rows.Select(r => r.Id).ToArray(), now, 24), next);
    }

    /// <summary>One page of one status in one sort order, after the cursor's (key, id) when there is one.</summary>
    /// <param name="search">the search's conditions from <see cref="SearchSql.Conditions"/></param>
    internal static string PageSql(string sort, string search, bool afterCursor)
    {
        var column = Sorts[sort];
        return IssueStore.Select + " WHERE i.project_id = @projectId AND i.status = @status" + search
            + (afterCursor ? $" AND ({column} < @afterKey OR ({column} = @afterKey AND i.id < @afterId))" : "")
            + $" ORDER BY {column} DESC, i.id DESC LIMIT @take";
    }

    internal static string CountSql(string search) =>
        "SELECT i.status, COUNT(*) FROM issues i WHERE i.project_id = @projectId" + search + " GROUP BY i.status";

    /// <summary>Events per hour of the last <paramref name="hours"/> hours (the current hour last) for each issue.</summary>
    internal static Dictionary<long, long[]> Hourly(System.Data.Common.DbConnection connection, long[] issueIds, DateTimeOffset now, int hours)
    {
        var currentHour = now.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
        var from = currentHour - (hours - 1) * 3_600_000L;
        var result = issueIds.ToDictionary(id => id, _ => new long[hours]);
        if (issueIds.Length == 0) return result;
        foreach (var (issueId, hour, count) in connection.Query<(long, long, long)>(
            $"SELECT issue_id, hour, count FROM issue_hourly WHERE issue_id {Sql.InList(connection, "@issueIds")} AND hour >= @from AND hour <= @currentHour",
            new { issueIds, from, currentHour }))
            result[issueId][(hour - from) / 3_600_000] += count;
        return result;
    }
}
