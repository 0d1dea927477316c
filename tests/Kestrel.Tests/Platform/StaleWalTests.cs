using Kestrel.Platform;
using Kestrel.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kestrel.Tests.Platform;

/// <summary>The pure part of the stale-log guard; the crash and the plain-tar restore are in Backup/PlainTarRestoreTests.</summary>
public sealed class StaleWalTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 5, 15, 0, TimeSpan.Zero);

    private static string MakeDatabase(string folder, string journalMode)
    {
        var path = Path.Combine(folder, "kestrel.db");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA journal_mode = {journalMode}; CREATE TABLE t (x); INSERT INTO t VALUES (1);";
        command.ExecuteNonQuery();
        return path;
    }

    [Fact]
    public void Reads_the_journal_mode_from_the_header()
    {
        using var folder = new TempDirectory();
        using var other = new TempDirectory();
        Assert.True(StaleWal.IsInWalMode(MakeDatabase(folder.Path, "WAL")));
        Assert.False(StaleWal.IsInWalMode(MakeDatabase(other.Path, "DELETE")));
        File.WriteAllText(Path.Combine(folder.Path, "empty.db"), "");
        Assert.Null(StaleWal.IsInWalMode(Path.Combine(folder.Path, "empty.db")));
        Assert.Null(StaleWal.IsInWalMode(Path.Combine(folder.Path, "missing.db")));
    }

    [Fact]
    public void Moves_the_log_and_index_aside_only_beside_a_rollback_mode_database()
    {
        using var folder = new TempDirectory();
        var database = MakeDatabase(folder.Path, "DELETE");
        File.WriteAllText(database + "-wal", "old log");
        File.WriteAllText(database + "-shm", "old index");
        var moved = StaleWal.MoveAsideIfStale(database, Now);
        Assert.Equal([(database + "-wal", database + "-wal.stale-20261127T051500Z"), (database + "-shm", database + "-shm.stale-20261127T051500Z")], moved);
        Assert.Equal("old log", File.ReadAllText(database + "-wal.stale-20261127T051500Z"));

        File.WriteAllText(database + "-wal", "second log");
        Assert.Equal(database + "-wal.stale-20261127T051500Z-2", Assert.Single(StaleWal.MoveAsideIfStale(database, Now)).To);

        using var live = new TempDirectory();
        var walDatabase = MakeDatabase(live.Path, "WAL");
        File.WriteAllText(walDatabase + "-wal", "live log");
        Assert.Empty(StaleWal.MoveAsideIfStale(walDatabase, Now));
        Assert.Equal("live log", File.ReadAllText(walDatabase + "-wal"));
    }
}
