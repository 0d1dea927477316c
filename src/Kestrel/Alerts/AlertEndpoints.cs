using System.Globalization;
using System.Text.Json;
using Kestrel.Alerts.Formats;
using Kestrel.Platform;
using Kestrel.Projects;

namespace Kestrel.Alerts;

/// <summary>
/// The alerts API (PRODUCT.md §14), scoped to the caller's project: a project token, or the admin
/// session with <c>?project=slug</c>. Route ids are named channelId and ruleId, not id, because an
/// admin request's <c>{id}</c> names an issue (see <see cref="Web.AdminApiAccess"/>).
/// </summary>
public static class AlertEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static IServiceCollection AddAlerts(this IServiceCollection services) => services
        .AddLeases()
        .AddSingleton<AlertStore>()
        .AddSingleton(s => new DeliveryStore(s.GetRequiredService<Database>(), s.GetRequiredService<DatabaseWriter>()))
        .AddSingleton<AlertMessages>()
        .AddSingleton<EmailFormat>()
        .AddSingleton<DeliverySender>()
        .AddSingleton<AlertDispatcher>()
        .AddSingleton<AlertTesting>()
        .AddSingleton<AlertChanges>()
        .AddHostedService(s => s.GetRequiredService<AlertDispatcher>());

    public static void MapAlerts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/alerts").RequireProject(allowPublicKey: false, allowAdminSession: true);
        group.MapGet("/channels", (Caller caller, AlertStore store) => Results.Json(new { channels = store.Channels(caller.ProjectId).Select(ChannelView.From) }, KestrelJson.Options));
        group.MapPost("/channels", CreateChannel);
        group.MapPatch("/channels/{channelId:long}", UpdateChannel);
        group.MapDelete("/channels/{channelId:long}", DeleteChannel);
        group.MapPost("/channels/{channelId:long}/test", TestChannel);
        group.MapGet("/rules", (Caller caller, AlertStore store) => Results.Json(new { rules = store.Rules(caller.ProjectId).Select(RuleView.From) }, KestrelJson.Options));
        group.MapPost("/rules", CreateRule);
        group.MapPatch("/rules/{ruleId:long}", UpdateRule);
        group.MapDelete("/rules/{ruleId:long}", DeleteRule);
        group.MapGet("/deliveries", Deliveries);
    }

    private static async Task<IResult> CreateChannel(Caller caller, AlertChanges changes, HttpRequest request, CancellationToken ct)
    {
        if (await ReadAsync(request, ct) is not { } body) return BodyProblem();
        using (body)
        {
            var outcome = await changes.CreateChannelAsync(caller.ProjectId, body.RootElement, ct);
            return outcome.Saved is { } channel ? Results.Json(ChannelView.From(channel), KestrelJson.Options, statusCode: 201) : ApiError.BadRequest(outcome.Error!);
        }
    }

    private static async Task<IResult> UpdateChannel(Caller caller, AlertStore store, AlertChanges changes, long channelId, HttpRequest request, CancellationToken ct)
    {
        if (store.Channel(caller.ProjectId, channelId) is null) return ChannelNotFound(channelId);
        if (await ReadAsync(request, ct) is not { } body) return BodyProblem();
        using (body)
        {
            var outcome = await changes.UpdateChannelAsync(caller.ProjectId, channelId, body.RootElement, ct);
            return outcome.Saved is { } channel ? Results.Json(ChannelView.From(channel), KestrelJson.Options)
                : outcome.NotFound ? ChannelNotFound(channelId) : ApiError.BadRequest(outcome.Error!);
        }
    }

    private static async Task<IResult> DeleteChannel(Caller caller, AlertStore store, TimeProvider time, long channelId) =>
        await store.DeleteChannelAsync(caller.ProjectId, channelId, time.GetUtcNow().ToUnixTimeMilliseconds()) ? Results.NoContent() : ChannelNotFound(channelId);

    /// <summary>Queues a test through the outbox and answers with its first attempt (or, after 20 s, with it still pending).</summary>
    private static async Task<IResult> TestChannel(Caller caller, AlertTesting testing, long channelId, CancellationToken ct) =>
        await testing.SendTestAsync(caller.ProjectId, channelId, ct) is { } delivery
            ? Results.Json(DeliveryView.From(delivery), KestrelJson.Options)
            : ChannelNotFound(channelId);

    private static async Task<IResult> CreateRule(Caller caller, AlertChanges changes, HttpRequest request, CancellationToken ct)
    {
        if (await ReadAsync(request, ct) is not { } body) return BodyProblem();
        using (body)
        {
            var outcome = await changes.CreateRuleAsync(caller.ProjectId, body.RootElement);
            return outcome.Saved is { } rule ? Results.Json(RuleView.From(rule), KestrelJson.Options, statusCode: 201) : ApiError.BadRequest(outcome.Error!);
        }
    }

    private static async Task<IResult> UpdateRule(Caller caller, AlertStore store, AlertChanges changes, long ruleId, HttpRequest request, CancellationToken ct)
    {
        if (store.Rule(caller.ProjectId, ruleId) is null) return RuleNotFound(ruleId);
        if (await ReadAsync(request, ct) is not { } body) return BodyProblem();
        using (body)
        {
            var outcome = await changes.UpdateRuleAsync(caller.ProjectId, ruleId, body.RootElement);
            return outcome.Saved is { } rule ? Results.Json(RuleView.From(rule), KestrelJson.Options)
                : outcome.NotFound ? RuleNotFound(ruleId) : ApiError.BadRequest(outcome.Error!);
        }
    }

    private static async Task<IResult> DeleteRule(Caller caller, AlertStore store, long ruleId) =>
        await store.DeleteRuleAsync(caller.ProjectId, ruleId) ? Results.NoContent() : RuleNotFound(ruleId);

    private static IResult Deliveries(Caller caller, DeliveryStore store, string? limit, string? cursor)
    {
        var take = 50;
        if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) && take is >= 1 and <= 200))
            return ApiError.BadRequest("limit must be a whole number from 1 to 200.");
        if (cursor is not null && !DeliveryStore.IsCursor(cursor)) return ApiError.BadRequest(Issues.IssueRules.CursorProblem);
        return Results.Json(store.List(caller.ProjectId, take, cursor), KestrelJson.Options);
    }

    private static async Task<JsonDocument?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!Web.Page.LimitBody(request.HttpContext, MaxBodyBytes)) return null;
        try { return await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 8 }, ct); }
        catch (Exception e) when (e is JsonException or BadHttpRequestException) { return null; }
    }

    private static IResult BodyProblem() => ApiError.BadRequest($"The body must be one JSON object of at most {MaxBodyBytes / 1024} KiB.");
    private static IResult ChannelNotFound(long id) => ApiError.NotFound($"Channel {id} does not exist in this project.");
    private static IResult RuleNotFound(long id) => ApiError.NotFound($"Rule {id} does not exist in this project.");
}
