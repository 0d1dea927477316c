using Kestrel.Platform;
using System.Data.Common;

namespace Kestrel.Issues;

/// <summary>How the issue stores write, in the server and in <c>kestrel mcp</c> alike.</summary>
internal static class IssueWrites
{
    /// <summary>
    /// Runs <paramref name="work"/> in one short transaction: on the server's writer when there is one. A process
    /// other than the server (<c>kestrel mcp</c>) has no <see cref="DatabaseWriter"/>: it takes the write lock itself
    /// (BEGIN IMMEDIATE on SQLite). SQLite's lock serialises it with the server's writer, and the connection's busy
    /// timeout waits out the server's short transactions; on PostgreSQL row locks do the same.
    /// </summary>
    public static async Task<T> RunAsync<T>(Database database, DatabaseWriter? writer, Func<DbConnection, DbTransaction, T> work,
        CancellationToken cancellationToken)
    {
        if (writer is not null) return await writer.WriteAsync(session => work(session.Connection, session.Transaction), cancellationToken);
        using var connection = database.Connect();
        using var transaction = Database.BeginWrite(connection);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }
}
