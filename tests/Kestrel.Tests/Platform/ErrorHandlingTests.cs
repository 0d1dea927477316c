using System.Threading.Channels;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Platform;

public sealed class ErrorHandlingTests
{
    public static TheoryData<Exception, int> Failures => new()
    {
        { new SqliteException("database is locked", 5), 503 },
        { new SqliteException("database or disk is full", 13), 507 },
        { new ChannelClosedException(), 503 },
        { new ServerStoppingException(), 503 },
        { new SqliteException("constraint failed", 19), 500 },
        // PostgreSQL: not reachable, shutting down, too many connections, read-only (fail-over) pass; a constraint does not.
        // A full disk (either engine) passes too, but not within seconds: 507, as SQLite's disk guard answers.
        { new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432"), 503 },
        { Postgres("57P01"), 503 },
        { Postgres("53300"), 503 },
        { Postgres("53100"), 507 },
        { Postgres("25006"), 503 },
        { Postgres("23505"), 500 },
        { new InvalidOperationException("a bug"), 500 },
    };

    private static Npgsql.PostgresException Postgres(string sqlState) => new("the server says so", "FATAL", "FATAL", sqlState);

    [Theory]
    [MemberData(nameof(Failures))]
    public void Passing_failures_are_503_to_retry_a_full_disk_507_and_the_rest_500(Exception error, int status)
    {
        var (classified, message) = ErrorHandling.Classify(error);
        Assert.Equal(status, classified);
        Assert.DoesNotContain(error.Message, message); // internals stay in the log, not in answers
        Assert.Equal(status is 503 or 507 ? message : null, ErrorHandling.Passes(error)); // MCP says these in words
        Assert.Equal(status == 507, DatabaseFailures.IsDiskFull(error));
    }

    [Fact]
    public void A_full_disk_is_still_a_failure_of_the_whole_database_for_the_writer()
    {
        // The writer fails the whole batch at once (and PostgreSQL's connection is opened anew) rather than job by job.
        Assert.True(DatabaseFailures.IsDatabaseWide(Postgres("53100")));
        Assert.True(DatabaseFailures.IsDatabaseWide(new SqliteException("database or disk is full", 13)));
    }
}
