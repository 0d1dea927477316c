using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kestrel.Bench;

/// <summary>
/// Writes one event for an issue the way the .NET, Node and Python SDKs do (sentry-protocol.md §3 and
/// Appendix A): exception with frames, tags, contexts, request, user, sdk, then breadcrumbs until the
/// event reaches a size drawn between <see cref="MinBytes"/> and <see cref="MaxBytes"/>.
/// </summary>
public sealed class EventFactory(Random random)
{
    public const int MinBytes = 3 * 1024;
    public const int MaxBytes = 8 * 1024;

    // SDKs do not escape '+' or non-ASCII; the default encoder would, and change the byte counts.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] Regions = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"];
    private static readonly string[] Tiers = ["free", "pro", "business", "enterprise"];
    private static readonly string[] States = ["pending", "paid", "shipped", "cancelled", "refunded"];

    /// <summary>Events made so far with 20 or more frames in their main exception.</summary>
    public int DeepEvents { get; private set; }

    public byte[] Create(Issue issue)
    {
        var frames = issue.Frames.ToList();
        var e = EventObject(issue, frames);
        var size = JsonSerializer.SerializeToUtf8Bytes(e, Json).Length;
        // A deep stack can fill the size budget on its own; library frames go first (never in-app, so grouping is unchanged).
        while (size > MaxBytes - 1024 && frames.FindLastIndex(f => !f.InApp) is var library and >= 0)
        {
            frames.RemoveAt(library);
            e = EventObject(issue, frames);
            size = JsonSerializer.SerializeToUtf8Bytes(e, Json).Length;
        }
        if (frames.Count >= 20) DeepEvents++;
        var target = random.Next(MinBytes + 200, MaxBytes - 200);
        var crumbs = new JsonArray();
        while (size < target && crumbs.Count < 100)
        {
            var crumb = Breadcrumb(issue.Platform, crumbs.Count);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(crumb, Json).Length + 1;
            if (size + bytes > MaxBytes) break;
            crumbs.Add(crumb);
            size += bytes;
        }
        e["breadcrumbs"] = new JsonObject { ["values"] = crumbs };
        return JsonSerializer.SerializeToUtf8Bytes(e, Json);
    }

    private JsonObject EventObject(Issue issue, List<Frame> frames)
    {
        var p = issue.Platform;
        var now = DateTimeOffset.UtcNow.AddSeconds(-random.Next(0, 30));
        var id = random.Next(1000, 999_999);
        var release = $"shop@2.{random.Next(10, 20)}.{random.Next(0, 9)}+{Hex(7)}";
        var server = $"web-{random.Next(1, 12)}";
        var traceId = Hex(32);
        var value = string.Format(issue.MessageFormat, "order", id, IssueCatalog.Pick(random, States), random.Next(100, 30_000));
        var mechanism = new JsonObject { ["type"] = p == Platform.Python ? "django" : "generic", ["handled"] = random.NextDouble() < 0.7 };
        var main = new JsonObject
        {
            ["type"] = issue.Type,
            ["value"] = value,
            ["module"] = p == Platform.CSharp ? "System.Private.CoreLib, Version=10.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e" : null,
            ["thread_id"] = p == Platform.CSharp ? random.Next(1, 40) : null,
            ["stacktrace"] = new JsonObject { ["frames"] = new JsonArray([.. frames.Select(f => FrameJson(p, f))]) },
            ["mechanism"] = mechanism,
        };
        var values = new JsonArray();
        if (issue.Chained)
        {
            mechanism["exception_id"] = 0;
            values.Add(new JsonObject
            {
                ["type"] = "System.Net.Sockets.SocketException",
                ["value"] = "Connection refused (db.internal:5432)",
                ["mechanism"] = new JsonObject { ["type"] = "chained", ["source"] = "InnerException", ["handled"] = true, ["exception_id"] = 1, ["parent_id"] = 0 },
            });
        }
        values.Add(main);

        return new JsonObject
        {
            ["event_id"] = Hex(32),
            ["timestamp"] = p switch
            {
                Platform.Node => JsonValue.Create(Math.Round(now.ToUnixTimeMilliseconds() / 1000.0, 3)),
                Platform.CSharp => JsonValue.Create(now.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz")),
                _ => JsonValue.Create(now.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ")),
            },
            ["platform"] = p switch { Platform.CSharp => "csharp", Platform.Node => "node", _ => "python" },
            ["level"] = random.NextDouble() < 0.9 ? "error" : "fatal",
            ["logger"] = issue.Frames.FirstOrDefault(f => f.InApp)?.Module,
            ["transaction"] = issue.Transaction,
            ["server_name"] = server,
            ["release"] = release,
            ["environment"] = random.NextDouble() < 0.85 ? "production" : "staging",
            ["exception"] = new JsonObject { ["values"] = values },
            ["tags"] = new JsonObject
            {
                ["region"] = IssueCatalog.Pick(random, Regions),
                ["customer.tier"] = IssueCatalog.Pick(random, Tiers),
                ["http.method"] = issue.Transaction.Split(' ')[0],
                ["http.route"] = issue.Transaction.Split(' ')[1],
                ["feature.new-checkout"] = random.NextDouble() < 0.5 ? "on" : "off",
                ["tenant"] = $"tenant-{random.Next(1, 400)}",
                ["pod"] = $"{server}-{Hex(5)}",
                ["handled"] = mechanism["handled"]!.GetValue<bool>() ? "yes" : "no",
            },
            ["contexts"] = Contexts(p, traceId),
            ["request"] = Request(issue, id),
            ["user"] = new JsonObject
            {
                ["id"] = $"{random.Next(1, 200_000)}",
                ["email"] = $"user{random.Next(1, 200_000)}@example.com",
                ["username"] = $"user{random.Next(1, 200_000)}",
                ["ip_address"] = $"10.{random.Next(0, 255)}.{random.Next(0, 255)}.{random.Next(1, 255)}",
            },
            ["sdk"] = p switch
            {
                Platform.CSharp => Sdk("sentry.dotnet", "6.12.1", "nuget:sentry.dotnet", ["AppDomainUnhandledExceptionIntegration", "UnobservedTaskExceptionIntegration", "NetFxInstallationsIntegration"]),
                Platform.Node => Sdk("sentry.javascript.node", "11.12.0", "npm:@sentry/node", ["InboundFilters", "FunctionToString", "LinkedErrors", "Http", "Express", "Postgres"]),
                _ => Sdk("sentry.python.django", "2.75.0", "pypi:sentry-sdk", ["django", "logging", "stdlib", "excepthook", "dedupe", "atexit"]),
            },
            ["extra"] = new JsonObject { ["order_id"] = id, ["attempt"] = random.Next(1, 4), ["queue"] = "default" },
        };
    }

    private JsonObject FrameJson(Platform p, Frame f)
    {
        var line = f.Line + random.Next(0, 3);
        var frame = new JsonObject { ["function"] = f.Function, ["module"] = f.Module };
        if (f.File.Length > 0) frame["filename"] = f.File;
        if (p == Platform.CSharp && f.InApp) frame["abs_path"] = "/src/" + f.File;
        if (p == Platform.Python) frame["abs_path"] = (f.InApp ? "/srv/app/" : "/usr/local/lib/python3.12/site-packages/") + f.File;
        frame["lineno"] = line;
        if (p != Platform.Python) frame["colno"] = random.Next(5, 60);
        frame["in_app"] = f.InApp;
        if (p == Platform.CSharp) { frame["instruction_addr"] = $"0x{random.Next(16, 800):x}"; frame["addr_mode"] = "rel:0"; }
        if (f.Context)
        {
            frame["pre_context"] = new JsonArray($"  // line {line - 2}", $"  const {f.Module.Split(':')[^1]} = await load(id);");
            frame["context_line"] = $"  return {f.Function.Split('.')[^1]}(order, options); // line {line}";
            frame["post_context"] = new JsonArray("}", "");
        }
        if (p == Platform.Python && f.InApp)
            frame["vars"] = new JsonObject { ["self"] = $"<{f.Module} object at 0x7f{Hex(10)}>", ["order_id"] = $"'{random.Next(1000, 99999)}'" };
        return frame;
    }

    private JsonObject Contexts(Platform p, string traceId)
    {
        var contexts = new JsonObject
        {
            ["os"] = new JsonObject { ["name"] = "Linux", ["version"] = "6.1.0-28-cloud-amd64", ["kernel_version"] = "6.1.119-1" },
            ["runtime"] = p switch
            {
                Platform.CSharp => new JsonObject { ["name"] = ".NET", ["version"] = "10.0.1", ["raw_description"] = ".NET 10.0.1", ["identifier"] = "linux-x64" },
                Platform.Node => new JsonObject { ["name"] = "node", ["version"] = "v22.11.0" },
                _ => new JsonObject { ["name"] = "CPython", ["version"] = "3.12.7", ["build"] = "3.12.7 (main, Oct 19 2024, 04:12:43) [GCC 12.2.0]" },
            },
            ["trace"] = new JsonObject { ["trace_id"] = traceId, ["span_id"] = Hex(16), ["parent_span_id"] = Hex(16), ["op"] = "http.server", ["status"] = "internal_error" },
            ["device"] = new JsonObject { ["arch"] = "x64", ["processor_count"] = 4, ["memory_size"] = 8_321_499_136L, ["boot_time"] = "2026-11-20T08:00:00Z" },
        };
        if (p == Platform.CSharp)
        {
            contexts["Current Culture"] = new JsonObject { ["name"] = "en-US", ["display_name"] = "English (United States)", ["calendar"] = "GregorianCalendar" };
            contexts["ThreadPool Info"] = new JsonObject { ["min_worker_threads"] = 4, ["max_worker_threads"] = 32767, ["available_worker_threads"] = 32700 + random.Next(0, 60) };
            contexts["Memory Info"] = new JsonObject { ["allocated_bytes"] = random.Next(10_000_000, 400_000_000), ["high_memory_load_threshold_bytes"] = 7_489_349_222L, ["total_available_memory_bytes"] = 8_321_499_136L };
        }
        return contexts;
    }

    private JsonObject Request(Issue issue, int id)
    {
        var route = issue.Transaction.Split(' ');
        return new JsonObject
        {
            ["url"] = "https://shop.example.com" + route[1].Replace("{id}", id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["method"] = route[0],
            ["query_string"] = $"page={random.Next(1, 20)}&sort=created",
            ["headers"] = new JsonObject
            {
                ["Accept"] = "application/json",
                ["Accept-Encoding"] = "gzip, deflate, br",
                ["Accept-Language"] = "en-US,en;q=0.9",
                ["Host"] = "shop.example.com",
                ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                ["X-Forwarded-For"] = $"203.0.113.{random.Next(1, 255)}",
                ["X-Request-Id"] = Hex(16),
            },
            ["env"] = new JsonObject { ["REMOTE_ADDR"] = "10.0.0.12", ["SERVER_NAME"] = "shop.example.com", ["SERVER_PORT"] = "443" },
        };
    }

    private static JsonObject Sdk(string name, string version, string package, string[] integrations) => new()
    {
        ["name"] = name,
        ["version"] = version,
        ["integrations"] = new JsonArray([.. integrations.Select(i => JsonValue.Create(i))]),
        ["packages"] = new JsonArray(new JsonObject { ["name"] = package, ["version"] = version }),
    };

    private JsonObject Breadcrumb(Platform p, int index)
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(index - 120);
        JsonNode timestamp = p == Platform.Node ? JsonValue.Create(Math.Round(at.ToUnixTimeMilliseconds() / 1000.0, 3)) : JsonValue.Create(at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
        return random.Next(4) switch
        {
            0 => new JsonObject
            {
                ["timestamp"] = timestamp, ["type"] = "http", ["category"] = "http",
                ["data"] = new JsonObject { ["url"] = $"https://payments.internal/v2/charges/{Hex(12)}", ["method"] = "POST", ["status_code"] = IssueCatalog.Pick(random, new[] { 200, 201, 409, 502 }) },
            },
            1 => new JsonObject
            {
                ["timestamp"] = timestamp, ["type"] = "query", ["category"] = "db.query",
                ["message"] = $"SELECT o.id, o.state, o.total FROM orders o WHERE o.customer_id = @p0 AND o.created_at > @p1 LIMIT {random.Next(10, 100)}",
            },
            2 => new JsonObject
            {
                ["timestamp"] = timestamp, ["category"] = "Microsoft.AspNetCore.Hosting.Diagnostics", ["level"] = "info",
                ["message"] = $"Request starting HTTP/1.1 GET https://shop.example.com/api/orders/{random.Next(1000, 99999)} - - -",
            },
            _ => new JsonObject
            {
                ["timestamp"] = timestamp, ["type"] = "default", ["category"] = "app", ["level"] = "warning",
                ["message"] = $"Retrying {IssueCatalog.Pick(random, States)} order {random.Next(1000, 99999)} after {random.Next(1, 9)} failures",
                ["data"] = new JsonObject { ["attempt"] = random.Next(1, 5) },
            },
        };
    }

    private string Hex(int length)
    {
        Span<byte> bytes = stackalloc byte[(length + 1) / 2];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes)[..length];
    }
}
