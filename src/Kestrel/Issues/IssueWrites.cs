using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Issues;

/// <summary>How the issue stores write, in the server and in <c>kestrel mcp</c> alike.</summary>
internal static class IssueWrites
{
    /// <summary>
    /// Runs <paramref name="work"/> in one short transaction: on the server's writer when there is one. A process
    /// other than the server (<c>kestrel mcp</c>) has no <see cref="DatabaseWriter"/>: it takes the write lock itself
    /// (BEGIN IMMEDIATE). SQLite's lock serialises it with the server's writer, and the connection's busy timeout
    /// waits out the server's short transactions.
    /// </summary>
    public static async Task<T> RunAsync<T>(Database database, DatabaseWriter? writer, Func<SqliteConnection, SqliteTransaction, T> work,
        CancellationToken cancellationToken)
    {
        if (writer is not null) return await writer.WriteAsync(session => work(session.Connection, session.Transaction), cancellationToken);
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }
}
