using System.Threading.Channels;
using Kestrel.Platform;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Platform;

public sealed class ErrorHandlingTests
{
    public static TheoryData<Exception, int> Failures => new()
    {
        { new SqliteException("database is locked", 5), 503 },
        { new SqliteException("database or disk is full", 13), 503 },
        { new ChannelClosedException(), 503 },
        { new ServerStoppingException(), 503 },
        { new SqliteException("constraint failed", 19), 500 },
        { new InvalidOperationException("a bug"), 500 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Passing_failures_are_503_to_retry_and_the_rest_500(Exception error, int status)
    {
        var (classified, message) = ErrorHandling.Classify(error);
        Assert.Equal(status, classified);
        Assert.DoesNotContain(error.Message, message); // internals stay in the log, not in answers
    }
}
