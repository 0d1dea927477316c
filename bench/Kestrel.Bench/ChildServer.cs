using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Kestrel.Bench;

/// <summary>
/// A server in a child process: Kestrel from a published folder with a fresh temporary data directory,
/// or the ceiling endpoint (this program again). Both log "listening on http://127.0.0.1:PORT" when ready.
/// </summary>
public sealed partial class ChildServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string? dataDirectory;
    private readonly Queue<string> recentOutput = new();

    private ChildServer(Process process, string? dataDirectory)
    {
        this.process = process;
        this.dataDirectory = dataDirectory;
        Monitor = new ProcessMonitor(process.Id);
    }

    public Uri BaseUrl { get; private set; } = null!;
    public string? DataDirectory => dataDirectory;
    public string? Token { get; private set; }

    /// <summary>The KESTREL_DATABASE_URL this server ran on (<c>--database-url</c>), dropped with it; null on SQLite.</summary>
    private string? database;
    /// <summary>The bench project's id and public key: what a Sentry SDK's DSN holds.</summary>
    public (long Id, string PublicKey)? Project { get; private set; }
    public ProcessMonitor Monitor { get; }

    /// <summary>The bearer token of every Kestrel child's /metrics (the ceiling's needs none); loopback only.</summary>
    private const string MetricsToken = "kestrel-bench-metrics-token";

    /// <summary>
    /// Managed bytes allocated and GC pause seconds so far, from the server's /metrics (Kestrel and the ceiling
    /// both report them); <see cref="RuntimeCounters.Unknown"/> for a build without them, so older builds still run.
    /// </summary>
    public async Task<RuntimeCounters> ReadRuntimeCountersAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MetricsToken);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode) return RuntimeCounters.Unknown;
        var text = await response.Content.ReadAsStringAsync();
        return new RuntimeCounters(Counter(text, "kestrel_managed_allocated_bytes_total"), Counter(text, "kestrel_gc_pause_seconds_total"),
            Counter(text, "kestrel_writer_busy_seconds_total"));
    }

    private static double Counter(string metrics, string name) =>
        Regex.Match(metrics, $"^{name} (\\S+)$", RegexOptions.Multiline) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : double.NaN;

    /// <param name="fill">given kestrel.db (migrated, with the project) and the project (<c>project create --json</c>) before the server starts</param>
    /// <param name="seed">given the new data directory first: may put a saved kestrel.db there and return the project saved with it
    /// (then neither <c>project create</c> nor <paramref name="fill"/> runs), or return null</param>
    public static async Task<ChildServer> StartKestrelAsync(string serverDirectory, string dataRoot, IReadOnlyDictionary<string, string> environment,
        Action<string, JsonElement>? fill = null, Func<string, string?>? seed = null)
    {
        var data = Directory.CreateDirectory(Path.Combine(dataRoot, $"kestrel-bench-{Guid.NewGuid():N}"[..21])).FullName;
        var env = new Dictionary<string, string>(environment)
        {
            ["KESTREL_DATA"] = data,
            ["KESTREL_LISTEN"] = "127.0.0.1:0",
            // The bench reads allocation and GC counters from /metrics before and after each window.
            ["KESTREL_METRICS_TOKEN"] = MetricsToken,
        };
        // Off unless --env sets a limit (to measure what the limiter costs, say with one no load reaches).
        env.TryAdd("KESTREL_RATE_LIMIT_PER_MINUTE", "0");
        var executable = Path.Combine(serverDirectory, "kestrel");
        var database = BenchDatabases.Server is { } postgres ? await BenchDatabases.CreateAsync(postgres) : null;
        if (database is not null) env["KESTREL_DATABASE_URL"] = database;
        var seeded = seed?.Invoke(data);
        var project = JsonDocument.Parse(seeded ?? await RunToEndAsync(executable, ["project", "create", "bench", "--json"], env)).RootElement;
        if (seeded is null) fill?.Invoke(Path.Combine(data, "kestrel.db"), project);
        var server = await StartAsync(executable, ["serve"], env, data, workingDirectory: serverDirectory);
        server.database = database;
        server.environment = env;
        server.Token = project.GetProperty("token").GetString();
        server.Project = (project.GetProperty("id").GetInt64(), project.GetProperty("public_key").GetString()!);
        return server;
    }

    /// <summary>What the server was started with, for another node of its database.</summary>
    private Dictionary<string, string> environment = [];

    /// <summary>
    /// Another node of <paramref name="first"/>'s PostgreSQL database (its own data directory and port, the same project),
    /// as a load balancer would have behind it. The first node drops the database; stop this one before it.
    /// </summary>
    public static async Task<ChildServer> StartNodeAsync(ChildServer first, string serverDirectory, string dataRoot)
    {
        if (first.database is null) throw new InvalidOperationException("Nodes share a PostgreSQL database: use --database-url.");
        var data = Directory.CreateDirectory(Path.Combine(dataRoot, $"kestrel-bench-{Guid.NewGuid():N}"[..21])).FullName;
        var env = new Dictionary<string, string>(first.environment) { ["KESTREL_DATA"] = data };
        var server = await StartAsync(Path.Combine(serverDirectory, "kestrel"), ["serve"], env, data, workingDirectory: serverDirectory);
        server.Token = first.Token;
        server.Project = first.Project;
        return server;
    }

    public static Task<ChildServer> StartCeilingAsync()
    {
        // Under `dotnet run` the process is the apphost; under `dotnet Kestrel.Bench.dll` it is the dotnet host.
        var self = Environment.ProcessPath!;
        string[] arguments = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [typeof(ChildServer).Assembly.Location, "ceiling-server"]
            : ["ceiling-server"];
        return StartAsync(self, arguments, new Dictionary<string, string>(), null, workingDirectory: AppContext.BaseDirectory);
    }

    /// <remarks>
    /// The working directory matters: ASP.NET watches it recursively for appsettings.json changes, and a
    /// watcher over the data directory wakes on every database write. Each server runs in its own folder.
    /// </remarks>
    private static async Task<ChildServer> StartAsync(string file, string[] arguments, Dictionary<string, string> env, string? data, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in env) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {file}.");
        var server = new ChildServer(process, data);

        // Output is read for the whole life of the child: a full pipe would block the server's logging.
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object? _, DataReceivedEventArgs line)
        {
            if (line.Data is null) return;
            lock (server.recentOutput)
            {
                server.recentOutput.Enqueue(line.Data);
                if (server.recentOutput.Count > 40) server.recentOutput.Dequeue();
            }
            if (Listening().Match(line.Data) is { Success: true } match) ready.TrySetResult(new Uri(match.Groups[1].Value));
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != ready.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"{file} did not start:\n{server.RecentOutput}");
        }
        server.BaseUrl = ready.Task.Result;
        return server;
    }

    internal static async Task<string> RunToEndAsync(string file, string[] arguments, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in env) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await error}");
        return await output;
    }

    public string RecentOutput { get { lock (recentOutput) return string.Join('\n', recentOutput); } }

    /// <summary>Rows in a table of the child's kestrel.db, read through a separate read-only connection.</summary>
    /// <summary>kestrel.db plus its WAL, in bytes.</summary>
    public long DatabaseBytes =>
        dataDirectory is null ? 0 : new[] { "kestrel.db", "kestrel.db-wal" }.Select(f => new FileInfo(Path.Combine(dataDirectory, f))).Where(f => f.Exists).Sum(f => f.Length);

    public long CountRows(string table)
    {
        if (database is not null) return BenchDatabases.CountRows(database, table);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory!, "kestrel.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM lets the server stop the way an operator stops it; kill only if it hangs.
            _ = Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(); await process.WaitForExitAsync(); }
        }
        process.Dispose();
        if (dataDirectory is not null) Directory.Delete(dataDirectory, recursive: true);
        if (database is not null) await BenchDatabases.DropAsync(BenchDatabases.Server!, database);
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
