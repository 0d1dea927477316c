using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kestrel.Tests.Support;

/// <summary>
/// The real server on a free loopback port with its own temp data directory. Start it with
/// <see cref="StartAsync"/>; it is ready when it has logged the address it listens on.
/// </summary>
public sealed partial class KestrelServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder log;
    private readonly TempDirectory? ownedDirectory;

    private KestrelServer(Process process, StringBuilder log, string dataDirectory, TempDirectory? ownedDirectory, Uri address,
        IReadOnlyDictionary<string, string>? environment)
    {
        Environment = environment;
        this.process = process;
        this.log = log;
        DataDirectory = dataDirectory;
        this.ownedDirectory = ownedDirectory;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string DataDirectory { get; }

    /// <summary>The settings the server was started with; the CLI commands it runs for a test get them too.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public int ProcessId => process.Id;
    public bool HasExited => process.HasExited;
    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>
    /// Waits (up to 30 s) until the server's output contains <paramref name="text"/>: the console logger writes on a
    /// thread of its own, so a line can arrive just after the answer that followed what it reports.
    /// </summary>
    public async Task WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"The server's log never said \"{text}\":\n{Log}");
            await Task.Delay(50);
        }
    }

    /// <param name="dataDirectory">an existing directory to reuse (restarts); null makes a temp one owned by this server</param>
    /// <param name="binary">a published kestrel to run instead of the build's kestrel.dll</param>
    public static async Task<KestrelServer> StartAsync(IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null, string? binary = null)
    {
        var owned = dataDirectory is null ? new TempDirectory() : null;
        var directory = dataDirectory ?? owned!.Path;
        var process = new Process { StartInfo = KestrelProcess.StartInfo(binary, directory, environment, "serve"), EnableRaisingEvents = true };
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (log) log.AppendLine(line);
            if (ListeningLine().Match(line) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("kestrel exited before listening:\n" + log));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        // The same log keeps collecting stdout and stderr for the server's whole life.
        return new KestrelServer(process, log, directory, owned, address, environment);
    }

    [GeneratedRegex(@"listening on (http://[0-9.:]+)")]
    private static partial Regex ListeningLine();

    /// <summary>
    /// A connection to the server's database, whichever the engine: its KESTREL_DATABASE_URL (given, or the PostgreSQL
    /// test run's database of its data directory), else kestrel.db read-only. For a test that checks what was stored.
    /// </summary>
    public System.Data.Common.DbConnection OpenDatabase()
    {
        var url = Environment?.GetValueOrDefault("KESTREL_DATABASE_URL") ?? Engines.DatabaseUrlFor(DataDirectory);
        System.Data.Common.DbConnection connection = url is not null
            ? new Npgsql.NpgsqlConnection(Kestrel.Platform.PostgresUrl.ToConnectionString(url))
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDirectory, "kestrel.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>Creates a project through the CLI, the way an operator would, while the server runs.</summary>
    public async Task<TestProject> CreateProjectAsync(string name = "app")
    {
        var result = await KestrelProcess.RunAsync(DataDirectory, Environment, "project", "create", name, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        return new TestProject(json.GetProperty("id").GetInt64(), json.GetProperty("slug").GetString()!,
            json.GetProperty("token").GetString()!, json.GetProperty("public_key").GetString()!, this);
    }

    /// <summary>Sends <paramref name="signal"/> (TERM, INT) as systemd or Ctrl-C would, and waits for the graceful exit.</summary>
    public async Task<int> SignalAndWaitAsync(string signal)
    {
        await Tool.RunOkAsync("kill", "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, like a crash or power cut of the process.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited) await KillAsync();
        process.Dispose();
        ownedDirectory?.Dispose();
    }
}

/// <summary>A project of a test server, with helpers that call its API with the project's token.</summary>
public sealed record TestProject(long Id, string Slug, string Token, string PublicKey, KestrelServer Server)
{
    public HttpRequestMessage Request(HttpMethod method, string path, string? token = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? token = null) =>
        Server.Http.SendAsync(Request(method, path, token, content));

    public Task<HttpResponseMessage> PostEventAsync(string json, string? token = null) =>
        SendAsync(HttpMethod.Post, "/api/events", new StringContent(json, Encoding.UTF8, "application/json"), token);

    /// <summary>Posts an event that must be accepted; returns its id.</summary>
    public async Task<string> IngestAsync(string json)
    {
        using var response = await PostEventAsync(json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> GetJsonAsync(string path, string? token = null)
    {
        using var response = await SendAsync(HttpMethod.Get, path, token: token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 }).RootElement.Clone(); // events may be 64 deep inside the answer
    }

    public async Task<JsonElement[]> IssuesAsync(string query = "") =>
        (await GetJsonAsync("/api/issues" + query)).GetProperty("issues").EnumerateArray().ToArray();

    public async Task<JsonElement> PatchAsync(long issueId, object body)
    {
        using var response = await SendAsync(HttpMethod.Patch, $"/api/issues/{issueId}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PATCH: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
