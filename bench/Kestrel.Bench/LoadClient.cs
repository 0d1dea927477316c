using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Kestrel.Bench;

/// <summary>What one load phase saw: answers by status, latencies in milliseconds, wall time.</summary>
public sealed record LoadResult(long Ok, long NotOk, long Failed, long Skipped, double[] LatenciesMs, double WallSeconds)
{
    public double OkPerSecond => Ok / WallSeconds;
    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0) return double.NaN;
        var sorted = LatenciesMs.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
    }
}

/// <summary>Where and how bodies are posted: Kestrel's own endpoint with a bearer token, or a Sentry endpoint with a DSN key.</summary>
public sealed record LoadTarget(string Path, string? BearerToken = null, string? SentryKey = null, string? ContentEncoding = null, string? ContentType = "application/json")
{
    public static LoadTarget Events(string? token) => new("/api/events", BearerToken: token);

    /// <summary>As the .NET SDK sends: X-Sentry-Auth, gzip, no Content-Type.</summary>
    public static LoadTarget Envelope(long projectId, string publicKey) =>
        new($"/api/{projectId}/envelope/", SentryKey: publicKey, ContentEncoding: "gzip", ContentType: null);
}

/// <summary>
/// Posts bodies to a <see cref="LoadTarget"/> (<c>/api/events</c> by default), the same code for Kestrel and for the ceiling endpoint. Closed loop:
/// N workers, each sends its next request when the previous one is answered. Open loop: requests leave
/// on a fixed schedule whatever the answers do, which is what many independent SDKs look like.
/// </summary>
public sealed class LoadClient : IDisposable
{
    private readonly HttpClient http;
    private readonly Uri url;
    private readonly BodySet bodies;
    private readonly LoadTarget target;
    private readonly MediaTypeHeaderValue? contentType;

    public LoadClient(Uri baseUrl, string? token, BodySet bodies) : this(baseUrl, LoadTarget.Events(token), bodies) { }

    public LoadClient(Uri baseUrl, LoadTarget target, BodySet bodies)
    {
        this.bodies = bodies;
        this.target = target;
        contentType = target.ContentType is null ? null : new MediaTypeHeaderValue(target.ContentType);
        url = new Uri(baseUrl, target.Path);
        http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = int.MaxValue,
        })
        { Timeout = TimeSpan.FromSeconds(60) };
        if (target.BearerToken is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.BearerToken);
        if (target.SentryKey is not null)
            http.DefaultRequestHeaders.TryAddWithoutValidation("X-Sentry-Auth", $"Sentry sentry_version=7,sentry_client=kestrel.bench/1,sentry_key={target.SentryKey}");
    }

    /// <summary>The HTTP status, or 0 when the request failed without one.</summary>
    private async Task<int> SendAsync()
    {
        var (buffer, length) = bodies.Rent();
        try
        {
            using var content = new ByteArrayContent(buffer, 0, length);
            content.Headers.ContentType = contentType;
            if (target.ContentEncoding is not null) content.Headers.ContentEncoding.Add(target.ContentEncoding);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return 0; }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    public async Task<LoadResult> RunClosedAsync(int concurrency, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(4096);
            long ok = 0, notOk = 0, failed = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                var sent = Stopwatch.GetTimestamp();
                var status = await SendAsync();
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                if (status == 200) ok++; else if (status == 0) failed++; else notOk++;
            }
            return (latencies, ok, notOk, failed);
        })).ToArray();
        var results = await Task.WhenAll(workers);
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new LoadResult(results.Sum(r => r.ok), results.Sum(r => r.notOk), results.Sum(r => r.failed), 0,
            [.. results.SelectMany(r => r.latencies)], wall);
    }

    /// <summary>
    /// Sends at <paramref name="perSecond"/> for <paramref name="duration"/>. Latency counts from when a request
    /// was due, not when it left, so a slow server cannot hide its queueing by slowing the sender. A send due
    /// while <paramref name="maxInFlight"/> requests are unanswered is skipped and counted.
    /// <paramref name="stop"/> ends the sending early (the backup benchmark loads for as long as a backup runs).
    /// </summary>
    public async Task<LoadResult> RunOpenAsync(double perSecond, TimeSpan duration, int maxInFlight, CancellationToken stop = default)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var statuses = new int[total];
        var latencies = new double[total];
        var inFlight = 0;
        var scheduled = 0;
        var tasks = new List<Task>(total);
        var start = Stopwatch.GetTimestamp();

        // A dedicated thread keeps the schedule even when the thread pool is busy with answers.
        var scheduler = new Thread(() =>
        {
            for (var i = 0; i < total && !stop.IsCancellationRequested; i++, scheduled++)
            {
                var due = start + (long)(i * Stopwatch.Frequency / perSecond);
                while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1);
                if (Volatile.Read(ref inFlight) >= maxInFlight) { statuses[i] = -1; continue; }
                Interlocked.Increment(ref inFlight);
                var index = i;
                tasks.Add(Task.Run(async () =>
                {
                    statuses[index] = await SendAsync();
                    latencies[index] = (Stopwatch.GetTimestamp() - due) * 1000.0 / Stopwatch.Frequency;
                    Interlocked.Decrement(ref inFlight);
                }));
            }
        }) { IsBackground = true, Name = "open-loop scheduler" };
        scheduler.Start();
        await Task.Run(scheduler.Join);
        await Task.WhenAll(tasks);
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var sent = statuses.AsSpan(0, scheduled).ToArray();
        var answered = Enumerable.Range(0, scheduled).Where(i => sent[i] >= 0).Select(i => latencies[i]).ToArray();
        return new LoadResult(sent.Count(s => s == 200), sent.Count(s => s > 0 && s != 200),
            sent.Count(s => s == 0), sent.Count(s => s < 0), answered, wall);
    }

    public void Dispose() => http.Dispose();
}
