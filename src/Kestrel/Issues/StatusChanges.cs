using Dapper;
using System.Data.Common;

namespace Kestrel.Issues;

/// <summary>Writes a status change and its activity entry in one transaction (on the writer, or in <c>kestrel mcp</c>'s own).</summary>
internal static class StatusChanges
{
    /// <returns>false when the issue does not exist in this project (nothing is written)</returns>
    public static bool Apply(DbConnection connection, DbTransaction transaction, long projectId, long issueId, StatusChange change, string actor, long nowMs)
    {
        var before = connection.ExecuteScalar<string?>("SELECT status FROM issues WHERE id = @issueId AND project_id = @projectId",
            new { issueId, projectId }, transaction);
        if (before is null) return false;

        // "In the next release" is pinned now: only a release newer than the newest one seen so far reopens it.
        var after = change.InNextRelease ? ReleaseOrder.Newest(connection, transaction, projectId) : null;
        // A release named when resolving joins the project's releases, so that first-seen order can place it.
        if (change.InRelease is { } release)
            connection.Execute("INSERT INTO releases (project_id, name, created_at) VALUES (@projectId, @release, @nowMs) ON CONFLICT DO NOTHING",
                new { projectId, release, nowMs }, transaction);

        connection.Execute("""
            UPDATE issues SET
                status = @Status,
                resolved_commit = CASE WHEN @Status = 'resolved' THEN @CommitSha END,
                resolved_note = CASE WHEN @Status = 'resolved' THEN @Note END,
                resolved_at = CASE WHEN @Status = 'resolved' THEN @nowMs END,
                resolved_in_release = CASE WHEN @Status = 'resolved' THEN @InRelease END,
                resolved_in_next_release = CASE WHEN @Status = 'resolved' AND @InNextRelease THEN 1 ELSE 0 END,
                resolved_after_release = CASE WHEN @Status = 'resolved' THEN @after END,
                ignore_reason = CASE WHEN @Status = 'ignored' THEN @Reason END
            WHERE id = @issueId AND project_id = @projectId
            """, new { change.Status, change.CommitSha, change.Note, change.Reason, change.InRelease, change.InNextRelease, after, nowMs, issueId, projectId },
            transaction);

        // Reopening an open issue changes nothing and is not logged; resolving or ignoring again is (new commit, new reason).
        if (change.Status == "open" && before == "open") return true;
        var entry = change.Status switch
        {
            "resolved" => new ActivityStore.Entry(projectId, issueId, nowMs, "resolved", actor, Release: change.InRelease,
                InNextRelease: change.InNextRelease, AfterRelease: after, CommitSha: change.CommitSha, Text: change.Note),
            "ignored" => new ActivityStore.Entry(projectId, issueId, nowMs, "ignored", actor, Text: change.Reason),
            _ => new ActivityStore.Entry(projectId, issueId, nowMs, "reopened", actor),
        };
        ActivityStore.Record(connection, transaction, entry);
        return true;
    }
}
