namespace Kestrel.Bench;

public enum Platform { CSharp, Node, Python }

/// <summary>One stack frame as an SDK reports it; <see cref="Context"/> marks frames that carry source lines.</summary>
public sealed record Frame(string Function, string File, string Module, int Line, bool InApp, bool Context);

/// <summary>
/// One bug in the imaginary application: the exception type and the frames it is raised through. Kestrel
/// groups by type plus in-app frames, so every issue here is a distinct fingerprint.
/// </summary>
public sealed record Issue(Platform Platform, string Type, string MessageFormat, string Transaction, Frame[] Frames, bool Chained);

/// <summary>
/// A fixed set of issues built from a seed: names are combined from domain words, so the functions and
/// files look like a real shop application's, and the same seed gives the same events on every run.
/// </summary>
public static class IssueCatalog
{
    private static readonly string[] Areas =
        ["Orders", "Payments", "Billing", "Inventory", "Shipping", "Catalog", "Accounts", "Auth", "Search",
         "Notifications", "Reports", "Checkout", "Pricing", "Reviews", "Subscriptions", "Invoices"];
    private static readonly string[] Kinds = ["Service", "Controller", "Repository", "Handler", "Validator", "Client", "Processor", "Mapper"];
    private static readonly string[] Verbs =
        ["Get", "Create", "Update", "Delete", "Validate", "Process", "Apply", "Calculate", "Load", "Save",
         "Send", "Resolve", "Import", "Export", "Refresh", "Sync", "Render", "Parse", "Build", "Find"];
    private static readonly string[] Nouns =
        ["Order", "Payment", "Invoice", "Customer", "Cart", "Item", "Address", "Refund", "Coupon", "Shipment",
         "Token", "Report", "Price", "Stock", "Session", "Subscription"];

    private static readonly Dictionary<Platform, string[]> Types = new()
    {
        [Platform.CSharp] = ["System.InvalidOperationException", "System.NullReferenceException", "System.ArgumentException",
            "System.Collections.Generic.KeyNotFoundException", "System.TimeoutException", "System.Net.Http.HttpRequestException",
            "Npgsql.PostgresException", "System.IO.IOException", "System.FormatException", "System.Text.Json.JsonException",
            "System.ObjectDisposedException", "System.Threading.Tasks.TaskCanceledException", "System.UnauthorizedAccessException"],
        [Platform.Node] = ["TypeError", "RangeError", "Error", "SyntaxError", "ReferenceError", "FetchError", "ValidationError", "AxiosError"],
        [Platform.Python] = ["KeyError", "ValueError", "TypeError", "AttributeError", "ConnectionError", "IntegrityError", "TimeoutError", "DoesNotExist"],
    };

    private static readonly string[] Messages =
        ["{0} {1} was not found", "Cannot {2} {0} {1}: the provider answered {3}", "Value cannot be null. (Parameter '{0}')",
         "Timed out after {3} ms waiting for {0} {1}", "Duplicate key value violates unique constraint \"{0}_pkey\" ({1})",
         "Unexpected token at position {3} while reading {0}", "The {0} {1} is in state '{2}' and cannot change"];

    /// <summary>Frames of the runtime and libraries the app runs on: never in-app, so they do not affect grouping.</summary>
    private static readonly Dictionary<Platform, Frame[]> LibraryFrames = new()
    {
        [Platform.CSharp] = [.. new[]
        {
            ("void Program.Main(string[] args)", "Program.cs", "Shop.Web"),
            ("HttpProtocol.ProcessRequests<TContext>(IHttpApplication<TContext>)", "", "Microsoft.AspNetCore.Server.Kestrel.Core"),
            ("EndpointMiddleware.Invoke(HttpContext)", "", "Microsoft.AspNetCore.Routing"),
            ("AuthorizationMiddleware.Invoke(HttpContext)", "", "Microsoft.AspNetCore.Authorization"),
            ("AuthenticationMiddleware.Invoke(HttpContext)", "", "Microsoft.AspNetCore.Authentication"),
            ("AsyncStateMachineBox<TStateMachine>.MoveNext()", "", "System.Private.CoreLib"),
            ("ExceptionDispatchInfo.Throw()", "", "System.Private.CoreLib"),
            ("ControllerActionInvoker.InvokeActionMethodAsync()", "", "Microsoft.AspNetCore.Mvc.Core"),
            ("DbContext.SaveChangesAsync(bool, CancellationToken)", "", "Microsoft.EntityFrameworkCore"),
            ("NpgsqlCommand.ExecuteReader(bool, CommandBehavior, CancellationToken)", "", "Npgsql"),
            ("HttpClient.SendAsync(HttpRequestMessage, CancellationToken)", "", "System.Net.Http"),
            ("Dictionary<TKey, TValue>.get_Item(TKey)", "", "System.Private.CoreLib"),
        }.Select(f => new Frame(f.Item1, f.Item2, f.Item3, 0, false, false))],
        [Platform.Node] = [.. new[]
        {
            ("processTicksAndRejections", "node:internal/process/task_queues", "task_queues"),
            ("Layer.handle [as handle_request]", "/app/node_modules/express/lib/router/layer.js", "express.lib.router:layer"),
            ("next", "/app/node_modules/express/lib/router/route.js", "express.lib.router:route"),
            ("Route.dispatch", "/app/node_modules/express/lib/router/route.js", "express.lib.router:route"),
            ("Function.process_params", "/app/node_modules/express/lib/router/index.js", "express.lib.router:index"),
            ("Query.handleError", "/app/node_modules/pg/lib/query.js", "pg.lib:query"),
            ("Client._handleErrorMessage", "/app/node_modules/pg/lib/client.js", "pg.lib:client"),
            ("Parser.parse", "/app/node_modules/pg-protocol/dist/parser.js", "pg-protocol.dist:parser"),
            ("Socket.emit", "node:events", "events"),
            ("addChunk", "node:internal/streams/readable", "readable"),
            ("settle", "/app/node_modules/axios/lib/core/settle.js", "axios.lib.core:settle"),
        }.Select(f => new Frame(f.Item1, f.Item2, f.Item3, 0, false, false))],
        [Platform.Python] = [.. new[]
        {
            ("inner", "django/core/handlers/exception.py", "django.core.handlers.exception"),
            ("_get_response", "django/core/handlers/base.py", "django.core.handlers.base"),
            ("_view_wrapper", "django/views/decorators/csrf.py", "django.views.decorators.csrf"),
            ("view", "django/views/generic/base.py", "django.views.generic.base"),
            ("dispatch", "rest_framework/views.py", "rest_framework.views"),
            ("handle_exception", "rest_framework/views.py", "rest_framework.views"),
            ("execute", "django/db/backends/utils.py", "django.db.backends.utils"),
            ("_execute", "django/db/backends/utils.py", "django.db.backends.utils"),
            ("__exit__", "django/db/utils.py", "django.db.utils"),
            ("get", "django/db/models/query.py", "django.db.models.query"),
            ("request", "requests/sessions.py", "requests.sessions"),
        }.Select(f => new Frame(f.Item1, f.Item2, f.Item3, 0, false, false))],
    };

    public static List<Issue> Create(int count, Random random)
    {
        var issues = new List<Issue>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (issues.Count < count)
        {
            var roll = random.NextDouble();
            var platform = roll < 0.6 ? Platform.CSharp : roll < 0.85 ? Platform.Node : Platform.Python;
            var type = Pick(random, Types[platform]);
            var appFrames = Enumerable.Range(0, random.Next(2, 7)).Select(_ => AppFrame(platform, random)).ToArray();
            var key = type + "|" + string.Join("|", appFrames.Select(f => f.File + ":" + f.Function));
            if (!seen.Add(key)) continue;

            // About a third are deep stacks (20–40 frames), as behind middleware, ORMs and async plumbing.
            var libraryCount = random.NextDouble() < 0.35 ? random.Next(20, 41) - appFrames.Length : random.Next(3, 9);
            var library = LibraryFrames[platform];
            var frames = new List<Frame>();
            for (var i = 0; i < libraryCount; i++)
                frames.Add(library[random.Next(library.Length)] with { Line = random.Next(10, 900) });
            var entry = frames.Count / 2;
            frames.InsertRange(entry, appFrames);
            var transaction = $"{Pick(random, ["GET", "POST", "PUT", "DELETE"])} /api/{Pick(random, Areas).ToLowerInvariant()}/{{id}}";
            issues.Add(new Issue(platform, type, Pick(random, Messages), transaction, [.. frames], random.NextDouble() < 0.15));
        }
        return issues;
    }

    private static Frame AppFrame(Platform platform, Random random)
    {
        var area = Pick(random, Areas);
        var kind = Pick(random, Kinds);
        var verb = Pick(random, Verbs);
        var noun = Pick(random, Nouns);
        var line = random.Next(12, 480);
        return platform switch
        {
            Platform.CSharp => new Frame($"{area}{kind}.{verb}{noun}Async(Guid, CancellationToken)",
                $"src/Shop.{area}/{area}{kind}.cs", $"Shop.{area}", line, true, false),
            Platform.Node => new Frame($"{area}{kind}.{char.ToLowerInvariant(verb[0])}{verb[1..]}{noun}",
                $"/app/src/{area.ToLowerInvariant()}/{char.ToLowerInvariant(kind[0])}{kind[1..]}.js", $"src.{area.ToLowerInvariant()}:{kind.ToLowerInvariant()}", line, true, true),
            _ => new Frame($"{verb.ToLowerInvariant()}_{noun.ToLowerInvariant()}",
                $"shop/{area.ToLowerInvariant()}/{kind.ToLowerInvariant()}s.py", $"shop.{area.ToLowerInvariant()}.{kind.ToLowerInvariant()}s", line, true, true),
        };
    }

    public static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
