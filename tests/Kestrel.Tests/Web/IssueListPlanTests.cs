using Dapper;
using Kestrel.Issues.Pages;
using Kestrel.Platform;
using Kestrel.Search;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Web;

/// <summary>The issue list reads each page off an index in its sort order (EXPLAIN QUERY PLAN on the migrated schema).</summary>
public sealed class IssueListPlanTests
{
    [Theory]
    [InlineData("last_seen", "issues_by_status_last_seen")]
    [InlineData("first_seen", "issues_by_status_first_seen")]
    [InlineData("events", "issues_by_status_events")]
    [InlineData("users", "issues_by_status_users")]
    public void Every_sort_with_or_without_search_and_cursor_uses_its_index_and_never_sorts(string sort, string index)
    {
        using var directory = new TempDirectory();
        var database = Database.OpenAndMigrate(new KestrelOptions { DataDirectory = directory.Path });
        using var connection = database.Open();
        foreach (var text in new[] { "", "Payment", "browser:\"Chrome 130\" !environment:dev", "release:latest" })
        foreach (var cursor in new[] { false, true })
        {
            Assert.Null(SearchParser.TryParse(text, out var query));
            var parameters = new DynamicParameters(new { projectId = 1, status = "open", afterKey = 5, afterId = 9, take = 26 });
            var search = SearchSql.Conditions(DatabaseEngine.Sqlite, query, parameters, DateTimeOffset.UtcNow, () => "2.4.1");
            var plan = string.Join("\n", connection.Query<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + IssueListQuery.PageSql(sort, search, cursor),
                parameters).Select(r => r.Detail));
            Assert.Contains($"SEARCH i USING INDEX {index} (project_id=? AND status=?", plan);
            Assert.DoesNotContain("TEMP B-TREE", plan);
            if (text.Contains(':')) Assert.Contains("USING COVERING INDEX issue_tags_by_value (project_id=? AND key=? AND value=?)", plan);

            if (cursor) continue;
            var counts = string.Join("\n", connection.Query<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + IssueListQuery.CountSql(search),
                parameters).Select(r => r.Detail));
            Assert.Contains("USING COVERING INDEX", counts);
        }
    }
}
