using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.Alerts.Pages;

/// <summary>
/// Project settings → Alerts: channels (add, send a test, last failure, delete), rules (add, delete) and
/// the delivery log. Forms go through the same input rules and stores as the API.
/// </summary>
public static class AlertPages
{
    public static void MapAlertPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/projects/{slug}/alerts", (string slug, AdminSession session, ProjectStore projects, AlertStore alerts, DeliveryStore deliveries) =>
            Render(slug, session, projects, alerts, deliveries, null, null));
        pages.MapPost("/projects/{slug}/alerts/channels", AddChannel);
        pages.MapPost("/projects/{slug}/alerts/channels/{channelId:long}/test", TestChannel);
        pages.MapPost("/projects/{slug}/alerts/channels/{channelId:long}/delete", DeleteChannel);
        pages.MapPost("/projects/{slug}/alerts/rules", AddRule);
        pages.MapPost("/projects/{slug}/alerts/rules/{ruleId:long}/delete", DeleteRule);
    }

    private static IResult Render(string slug, AdminSession session, ProjectStore projects, AlertStore alerts, DeliveryStore deliveries,
        string? notice, string? error, int status = 200)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        return Page.Render<AlertsPage>(new
        {
            Shell = session.Shell(project.Slug, project.Name),
            Project = project,
            Channels = alerts.Channels(project.Id),
            Rules = alerts.Rules(project.Id),
            Deliveries = deliveries.List(project.Id, 50, null).Deliveries,
            Notice = notice,
            Error = error,
        }, status);
    }

    private static async Task<IResult> AddChannel(string slug, HttpRequest request, AdminSession session, ProjectStore projects, AlertStore alerts,
        DeliveryStore deliveries, AlertTesting testing, TimeProvider time, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var form = await request.ReadFormAsync(ct);
        var body = new JsonObject { ["name"] = form["name"].ToString(), ["kind"] = form["kind"].ToString() };
        if (form["kind"] == "email")
            body["to"] = new JsonArray(form["to"].ToString().Split([',', ' ', '\n', '\r', ';'], StringSplitOptions.RemoveEmptyEntries).Select(a => (JsonNode)a).ToArray());
        else body["url"] = form["url"].ToString();
        if (form["secret"].ToString() is { Length: > 0 } secret) body["secret"] = secret;
        var (draft, error) = AlertInput.Channel(Json(body), new ChannelDraft(null, null, null, null, null));
        error ??= await testing.TargetProblemAsync(draft, ct);
        if (error is not null) return Render(slug, session, projects, alerts, deliveries, null, error, 400);
        var channel = await alerts.CreateChannelAsync(project.Id, draft!, time.GetUtcNow().ToUnixTimeMilliseconds());
        return Render(slug, session, projects, alerts, deliveries, $"Channel {channel.Name} added. Send it a test to see that it works.", null);
    }

    private static async Task<IResult> TestChannel(string slug, long channelId, AdminSession session, ProjectStore projects, AlertStore alerts,
        DeliveryStore deliveries, AlertTesting testing, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        if (await testing.SendTestAsync(project.Id, channelId, ct) is not { } d)
            return Render(slug, session, projects, alerts, deliveries, null, $"Channel {channelId} does not exist in this project.", 404);
        return d.Status == "delivered"
            ? Render(slug, session, projects, alerts, deliveries, $"Test delivered (answer {d.HttpStatus}).", null)
            : Render(slug, session, projects, alerts, deliveries, null, $"Test not delivered: {d.Error ?? "still waiting for its first attempt."}");
    }

    private static async Task<IResult> DeleteChannel(string slug, long channelId, AdminSession session, ProjectStore projects, AlertStore alerts,
        DeliveryStore deliveries, TimeProvider time)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var deleted = await alerts.DeleteChannelAsync(project.Id, channelId, time.GetUtcNow().ToUnixTimeMilliseconds());
        return Render(slug, session, projects, alerts, deliveries, deleted ? "Channel deleted." : null, deleted ? null : "No such channel.", deleted ? 200 : 404);
    }

    private static async Task<IResult> AddRule(string slug, HttpRequest request, AdminSession session, ProjectStore projects, AlertStore alerts,
        DeliveryStore deliveries, TimeProvider time, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var form = await request.ReadFormAsync(ct);
        var body = new JsonObject
        {
            ["name"] = form["name"].ToString(),
            ["trigger"] = form["trigger"].ToString(),
            ["channel_ids"] = new JsonArray(form["channel_ids"].Select(id => long.TryParse(id, out var n) ? (JsonNode)n : id).ToArray()),
        };
        foreach (var field in new[] { "threshold", "window_minutes", "cooldown_minutes" })
            if (form[field].ToString().Trim() is { Length: > 0 } text) body[field] = int.TryParse(text, out var n) ? n : text;
        foreach (var field in new[] { "level", "environment" })
            if (form[field].ToString().Trim() is { Length: > 0 } text) body[field] = text;
        var (draft, error) = AlertInput.Rule(Json(body), new RuleDraft(null, null, null, null, null, null, null));
        if (error is not null) return Render(slug, session, projects, alerts, deliveries, null, error, 400);
        var (rule, problem) = await alerts.SaveRuleAsync(project.Id, null, draft!, time.GetUtcNow().ToUnixTimeMilliseconds());
        return rule is null
            ? Render(slug, session, projects, alerts, deliveries, null, problem, 400)
            : Render(slug, session, projects, alerts, deliveries, $"Rule {rule.Name} added.", null);
    }

    private static async Task<IResult> DeleteRule(string slug, long ruleId, AdminSession session, ProjectStore projects, AlertStore alerts, DeliveryStore deliveries)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var deleted = await alerts.DeleteRuleAsync(project.Id, ruleId);
        return Render(slug, session, projects, alerts, deliveries, deleted ? "Rule deleted." : null, deleted ? null : "No such rule.", deleted ? 200 : 404);
    }

    private static JsonElement Json(JsonObject body) => JsonDocument.Parse(body.ToJsonString()).RootElement;
}
