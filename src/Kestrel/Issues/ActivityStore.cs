using Dapper;
using Kestrel.Platform;
using System.Data.Common;

namespace Kestrel.Issues;

/// <summary>
/// Reads an issue's activity log and adds notes to it. The other entries are written by whoever makes the
/// change they record, in the same transaction, through <see cref="Record"/>: the writer at ingest (created,
/// regressed) and <see cref="IssueStore"/> for status changes. Every statement filters on the caller's project.
/// </summary>
/// <param name="writer">the server's writer; null in <c>kestrel mcp</c></param>
public sealed class ActivityStore(Database database, DatabaseWriter? writer)
{
    internal const string InsertSql = """
        INSERT INTO issue_activity (project_id, issue_id, at, kind, actor, event_id, release, in_next_release, after_release, commit_sha, text)
        VALUES (@ProjectId, @IssueId, @At, @Kind, @Actor, @EventId, @Release, @InNextReleaseFlag, @AfterRelease, @CommitSha, @Text)
        """;

    /// <summary>One entry to record; see the columns of issue_activity for which fields each kind uses.</summary>
    internal sealed record Entry(long ProjectId, long IssueId, long At, string Kind, string? Actor = null, string? EventId = null,
        string? Release = null, bool InNextRelease = false, string? AfterRelease = null, string? CommitSha = null, string? Text = null)
    {
        /// <summary>The column is a 0/1 bigint on both engines: PostgreSQL does not store a boolean parameter there.</summary>
        public long InNextReleaseFlag => InNextRelease ? 1 : 0;
    }

    internal static void Record(DbConnection connection, DbTransaction transaction, Entry entry) =>
        connection.Execute(InsertSql, entry, transaction);

    /// <summary>Newest first.</summary>
    /// <returns>null when the issue does not exist in this project</returns>
    public ActivityPage? List(long projectId, long issueId, int limit, string? cursor)
    {
        var after = Cursor.Decode(cursor, 1);
        using var connection = database.Open();
        if (connection.ExecuteScalar<long?>("SELECT id FROM issues WHERE id = @issueId AND project_id = @projectId", new { issueId, projectId }) is null)
            return null;
        var rows = Recent(connection, projectId, issueId, limit + 1, after?[0]);
        var next = rows.Count > limit ? Cursor.Encode(rows[limit - 1].Id) : null;
        return new ActivityPage(rows.Take(limit).ToList(), next);
    }

    /// <summary>The latest entries of an issue known to exist (get_error's recent activity).</summary>
    public IReadOnlyList<ActivityView> Latest(long projectId, long issueId, int count)
    {
        using var connection = database.Open();
        return Recent(connection, projectId, issueId, count, null);
    }

    private static List<ActivityView> Recent(DbConnection connection, long projectId, long issueId, int take, long? beforeId) =>
        connection.Query<ActivityRow>("""
            SELECT id AS Id, kind AS Kind, at AS At, actor AS Actor, event_id AS EventId, release AS Release, in_next_release AS InNextRelease,
                   after_release AS AfterRelease, commit_sha AS CommitSha, text AS Text
            FROM issue_activity WHERE issue_id = @issueId AND project_id = @projectId
            """ + (beforeId is null ? "" : " AND id < @beforeId") + " ORDER BY id DESC LIMIT @take",
            new { issueId, projectId, beforeId, take }).Select(ActivityView.From).ToList();

    /// <summary>Adds a note; check it with <see cref="NoteRules.Problem"/> first.</summary>
    /// <returns>the new entry, or null when the issue does not exist in this project</returns>
    public async Task<ActivityView?> AddNoteAsync(long projectId, long issueId, string text, string actor, long nowMs, CancellationToken cancellationToken)
    {
        var id = await IssueWrites.RunAsync(database, writer, (connection, transaction) =>
        {
            // The issue is looked up inside the transaction, so a note never lands on an issue of another project.
            if (connection.ExecuteScalar<long?>("SELECT id FROM issues WHERE id = @issueId AND project_id = @projectId", new { issueId, projectId }, transaction) is null)
                return (long?)null;
            Record(connection, transaction, new Entry(projectId, issueId, nowMs, "note", actor, Text: text));
            return connection.ExecuteScalar<long>("SELECT last_insert_rowid()", transaction: transaction);
        }, cancellationToken);
        return id is null ? null : new ActivityView(id.Value, "note", IssueView.Time(nowMs), actor, null, null, null, null, null, null, text, null);
    }
}
