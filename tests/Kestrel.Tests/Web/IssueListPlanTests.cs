using Dapper;
using Kestrel.Issues.Pages;
using Kestrel.Platform;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Web;

/// <summary>The issue list reads each page off an index in its sort order (EXPLAIN QUERY PLAN on the migrated schema).</summary>
public sealed class IssueListPlanTests
{
    [Theory]
    [InlineData("last_seen", "issues_by_status_last_seen")]
    [InlineData("first_seen", "issues_by_status_first_seen")]
    [InlineData("events", "issues_by_status_events")]
    public void Every_sort_with_or_without_search_and_cursor_uses_its_index_and_never_sorts(string sort, string index)
    {
        using var directory = new TempDirectory();
        var database = Database.OpenAndMigrate(new KestrelOptions { DataDirectory = directory.Path });
        using var connection = database.Open();
        foreach (var search in new[] { false, true })
        foreach (var cursor in new[] { false, true })
        {
            var plan = string.Join("\n", connection.Query<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + IssueListQuery.PageSql(sort, search, cursor),
                new { projectId = 1, status = "open", like = "%x%", afterKey = 5, afterId = 9, take = 26 }).Select(r => r.Detail));
            Assert.Contains($"SEARCH i USING INDEX {index} (project_id=? AND status=?", plan);
            Assert.DoesNotContain("TEMP B-TREE", plan);
        }
        foreach (var search in new[] { false, true })
        {
            var counts = string.Join("\n", connection.Query<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + IssueListQuery.CountSql(search),
                new { projectId = 1, like = "%x%" }).Select(r => r.Detail));
            Assert.Contains("USING COVERING INDEX", counts);
        }
    }
}
