using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Kestrel.Tests.Support;

/// <summary>
/// A private PostgreSQL cluster (Debian's postgresql package, installed by scripts/install-test-deps.sh), started once per
/// test run on the first test that asks for it and stopped when the test process exits. initdb refuses to run as root,
/// so as root it runs as the postgres user; its directory is a postgres-owned folder directly under /tmp (a 0700 root
/// temp folder would be out of that user's reach). It listens on a free loopback port only, with trust for its one
/// superuser, kestrel. Each test class (or test) takes a fresh database of its own: <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync);
    private static int databases;

    private readonly string root;
    private readonly string dataDirectory;
    private readonly string bin;

    private PostgresCluster(string root, string bin, int port)
    {
        this.root = root;
        this.bin = bin;
        dataDirectory = Path.Combine(root, "data");
        Port = port;
    }

    public int Port { get; }

    /// <summary>The cluster of this test run, started by the first caller.</summary>
    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    /// <summary>A new empty database of the shared cluster; returns its KESTREL_DATABASE_URL.</summary>
    public static async Task<string> CreateDatabaseAsync() => await (await GetAsync()).NewDatabaseAsync();

    /// <summary>
    /// A cluster of the calling test's own, for a test that stops and starts PostgreSQL under running nodes (the shared
    /// cluster serves every other test). Dispose it at the end; it is also stopped when the test process exits.
    /// </summary>
    public static Task<PostgresCluster> StartPrivateAsync() => StartAsync();

    /// <summary>A new empty database; returns its KESTREL_DATABASE_URL.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"kestrel_test_{Environment.ProcessId}_{Interlocked.Increment(ref databases)}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return $"postgres://kestrel@127.0.0.1:{Port}/{name}";
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=kestrel;Database={database};Pooling=false";

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql")
            .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("No PostgreSQL server under /usr/lib/postgresql: run scripts/install-test-deps.sh.");
        await RemoveLeftoversAsync(bin);
        var root = Path.Combine(Path.GetTempPath(), $"kestrel-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (IsRoot) await Tool.RunOkAsync("chown", "postgres:postgres", root);

        var cluster = new PostgresCluster(root, bin, FreePort());
        // C collation: text sorts by bytes, as SQLite's BINARY does. fsync off: a test cluster need not survive a power cut.
        await cluster.RunAsync("initdb", "-D", cluster.dataDirectory, "-A", "trust", "-U", "kestrel", "-E", "UTF8", "--no-locale", "--no-sync");
        await cluster.StartServerAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
        return cluster;
    }

    /// <summary>Starts the server (again), on the same port.</summary>
    public Task StartServerAsync() => RunAsync("pg_ctl", "-D", dataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops the server the way an operator's restart does (fast: sessions are ended, then a clean shutdown).</summary>
    public Task StopServerAsync() => RunAsync("pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "stop");

    private int stopped;

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// pg_ctl stop -m immediate: no shutdown checkpoint (a second here, and the data is thrown away anyway), so it is done
    /// before the test host is ended; then the directory goes. A run cut short leaves both to <see cref="RemoveLeftoversAsync"/>.
    /// </summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1) return;
        // Synchronous on purpose: the process is exiting, and continuations on the thread pool may never run.
        var info = IsRoot ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl")]) : new ProcessStartInfo(Path.Combine(bin, "pg_ctl"));
        foreach (var arg in (string[])["-D", dataDirectory, "-m", "immediate", "-w", "stop"]) info.ArgumentList.Add(arg);
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        using var stop = Process.Start(info)!;
        stop.WaitForExit(TimeSpan.FromSeconds(30));
        try { Directory.Delete(root, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"PostgresCluster: could not delete the test cluster in {root}: {e.Message}");
        }
    }

    /// <summary>
    /// Clusters of test runs that ended without stopping theirs (killed, or cut short while exiting): the test process
    /// named in the folder is gone. Each is stopped (immediate: its data is thrown away anyway) and deleted.
    /// </summary>
    private static async Task RemoveLeftoversAsync(string bin)
    {
        foreach (var root in Directory.GetDirectories(Path.GetTempPath(), "kestrel-pg-*"))
        {
            var parts = Path.GetFileName(root).Split('-');
            if (parts.Length != 4 || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var pid) || Directory.Exists($"/proc/{pid}")) continue;
            var leftover = new PostgresCluster(root, bin, 0);
            // Best effort: a cluster whose server died with it (a stale postmaster.pid) makes pg_ctl fail with "No such
            // process", and a leftover must never fail this run.
            if (File.Exists(Path.Combine(leftover.dataDirectory, "postmaster.pid")))
                await leftover.RunAsync("pg_ctl", ["-D", leftover.dataDirectory, "-m", "immediate", "-w", "stop"], check: false);
            try { Directory.Delete(root, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"PostgresCluster: could not delete a leftover test cluster in {root}: {e.Message}");
            }
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a PostgreSQL tool, as the postgres user when the tests run as root.</summary>
    private Task<Tool.Result> RunAsync(string tool, params string[] args) => RunAsync(tool, args, check: true);

    private Task<Tool.Result> RunAsync(string tool, string[] args, bool check)
    {
        var (file, all) = IsRoot ? ("runuser", (string[])["-u", "postgres", "--", Path.Combine(bin, tool), .. args]) : (Path.Combine(bin, tool), args);
        return check ? Tool.RunOkAsync(file, all) : Tool.RunAsync(file, all);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
