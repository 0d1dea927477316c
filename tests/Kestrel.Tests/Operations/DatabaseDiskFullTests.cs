using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Kestrel.Tests.Support;
using Npgsql;

namespace Kestrel.Tests.Operations;

/// <summary>
/// The database's own disk filling up, end to end on a real small file system (a tmpfs this test mounts; the tests run
/// as root, as CI does): SQLite's data directory on it with the disk guard off (<c>disk.min_free_mb = 0</c>), so the
/// write itself meets SQLITE_FULL; PostgreSQL's database in a tablespace on it, so PostgreSQL answers 53100 disk_full
/// (its WAL stays on the cluster's own disk, as an operator's would). Either way ingest answers 507 with
/// <c>Retry-After: 60</c>, exactly the acknowledged events are stored, and events go in again once space returns.
/// </summary>
[Trait("Engine", "both")] // picks its engines itself
public sealed class DatabaseDiskFullTests
{
    /// <summary>An event of about 20 KB that compresses little (random text), so a few dozen fill a megabyte.</summary>
    private static string BulkyEvent(int n) => JsonSerializer.Serialize(new
    {
        message = $"bulky event {n}",
        level = "error",
        extra = new { blob = Convert.ToBase64String(RandomNumberGenerator.GetBytes(15_000)) },
    });

    private static async Task<string?> IdOfAsync(HttpResponseMessage response) => response.StatusCode == HttpStatusCode.OK
        ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!.Replace("-", "")
        : null;

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task A_full_database_disk_answers_507_keeps_every_acknowledged_event_and_recovers(string engine)
    {
        using var mountPoint = new TempDirectory();
        using var elsewhere = new TempDirectory();
        File.SetUnixFileMode(mountPoint.Path, (UnixFileMode)0b111_101_101); // PostgreSQL's server reaches its tablespace through it
        await DiskGuardTests.RunAsync("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mountPoint.Path);
        string? tablespace = null, database = null;
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(mountPoint.Path, "data")).FullName;
            // disk.min_free_mb = 0: nothing refuses early, so the write itself meets the full disk.
            var environment = new Dictionary<string, string> { ["KESTREL_DISK_MIN_FREE_MB"] = "0" };
            if (engine == Engines.Postgres)
            {
                data = elsewhere.Path; // the data directory holds nothing of the database here
                var cluster = await PostgresCluster.GetAsync();
                var location = Directory.CreateDirectory(Path.Combine(mountPoint.Path, "tablespace")).FullName;
                await Tool.RunOkAsync("chown", "postgres:postgres", location);
                (tablespace, database) = ($"small_{Environment.ProcessId}", $"kestrel_full_{Environment.ProcessId}");
                await PostgresAsync(cluster, $"CREATE TABLESPACE {tablespace} LOCATION '{location}'");
                await PostgresAsync(cluster, $"CREATE DATABASE {database} TABLESPACE {tablespace}");
                environment["KESTREL_DATABASE_URL"] = $"postgres://kestrel@127.0.0.1:{cluster.Port}/{database}";
            }
            await using var server = await KestrelServer.StartAsync(environment, data);
            var project = await server.CreateProjectAsync();
            var accepted = new List<string> { (await IdOfAsync(await project.PostEventAsync(Events.Message("plenty of room"))))! };
            // Connected while there is room: a new PostgreSQL session may write its relation cache file into the
            // database's directory, and on a full disk fails with "could not write init file" (seen in CI).
            await using var postgres = database is null ? null : await OpenAsync((await PostgresCluster.GetAsync()).ConnectionString(database));

            // Leave about 1 MB free, then send bulky events until the database cannot store one.
            var filler = Path.Combine(mountPoint.Path, "filler");
            await File.WriteAllBytesAsync(filler, new byte[new DriveInfo(mountPoint.Path).AvailableFreeSpace - 1024 * 1024]);
            HttpResponseMessage? refused = null;
            for (var n = 0; refused is null && n < 2_000; n++)
            {
                var response = await project.PostEventAsync(BulkyEvent(n));
                if (await IdOfAsync(response) is { } id) { accepted.Add(id); response.Dispose(); }
                else refused = response;
            }
            Assert.NotNull(refused);
            using (refused)
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)refused.StatusCode} {body}");
                Assert.Equal("60", refused.Headers.GetValues("Retry-After").Single());
                Assert.Equal("The database's disk is full, so it accepts no events until space is freed.",
                    JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
            }
            Assert.True(accepted.Count > 2, $"only {accepted.Count} events went in before the disk was full");

            // Exactly the acknowledged events are stored: none lost, nothing of the refused one.
            async Task<string[]> StoredIdsAsync() => engine == Engines.Sqlite
                ? (await Tool.RunOkAsync("sqlite3", Path.Combine(data, "kestrel.db"), "SELECT event_id FROM events ORDER BY id;")).Lines
                : await PostgresIdsAsync(postgres!);
            Assert.Equal(accepted, await StoredIdsAsync());

            // Space returns: events go in again without a restart.
            File.Delete(filler);
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            string? again;
            do
            {
                using var response = await project.PostEventAsync(BulkyEvent(-1));
                again = await IdOfAsync(response);
            } while (again is null && deadline.Elapsed < TimeSpan.FromSeconds(10));
            Assert.NotNull(again);
            accepted.Add(again);
            Assert.Equal(accepted, await StoredIdsAsync());
        }
        finally
        {
            if (database is not null)
            {
                var cluster = await PostgresCluster.GetAsync();
                await PostgresAsync(cluster, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                await PostgresAsync(cluster, $"DROP TABLESPACE IF EXISTS {tablespace}");
            }
            await DiskGuardTests.RunAsync("umount", mountPoint.Path);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task PostgresAsync(PostgresCluster cluster, string sql)
    {
        await using var connection = await OpenAsync(cluster.ConnectionString("postgres"));
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string[]> PostgresIdsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT event_id FROM events ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return [.. ids];
    }
}
