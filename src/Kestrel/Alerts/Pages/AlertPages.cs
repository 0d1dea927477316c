using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.Alerts.Pages;

/// <summary>
/// Project settings → Alerts: channels (add, send a test, last failure, delete), rules (add, enable or disable,
/// delete) and the delivery log; editing is on pages of their own (<see cref="AlertEditPages"/>). Forms go
/// through <see cref="AlertChanges"/>, as the API does.
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
        pages.MapPost("/projects/{slug}/alerts/rules/{ruleId:long}/enabled", ToggleRule);
        pages.MapAlertEditPages();
    }

    internal static IResult Render(string slug, AdminSession session, ProjectStore projects, AlertStore alerts, DeliveryStore deliveries,
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
        DeliveryStore deliveries, AlertChanges changes, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var outcome = await changes.CreateChannelAsync(project.Id, AlertForms.NewChannel(await request.ReadFormAsync(ct)), ct);
        return outcome.Saved is { } channel
            ? Render(slug, session, projects, alerts, deliveries, $"Channel {channel.Name} added. Send it a test to see that it works.", null)
            : Render(slug, session, projects, alerts, deliveries, null, outcome.Error, 400);
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
        DeliveryStore deliveries, AlertChanges changes, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var outcome = await changes.CreateRuleAsync(project.Id, AlertForms.Rule(await request.ReadFormAsync(ct), withEnabled: false));
        return outcome.Saved is { } rule
            ? Render(slug, session, projects, alerts, deliveries, $"Rule {rule.Name} added.", null)
            : Render(slug, session, projects, alerts, deliveries, null, outcome.Error, 400);
    }

    /// <summary>The toggle beside each rule: only enabled changes, checked as the API's PATCH checks it.</summary>
    private static async Task<IResult> ToggleRule(string slug, long ruleId, HttpRequest request, AdminSession session, ProjectStore projects, AlertStore alerts,
        DeliveryStore deliveries, AlertChanges changes, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var outcome = await changes.UpdateRuleAsync(project.Id, ruleId, AlertForms.Enabled(await request.ReadFormAsync(ct)));
        if (outcome.Saved is { } rule) return Render(slug, session, projects, alerts, deliveries, $"Rule {rule.Name} {(rule.Enabled ? "enabled" : "disabled")}.", null);
        return Render(slug, session, projects, alerts, deliveries, null, outcome.NotFound ? "No such rule." : outcome.Error, outcome.NotFound ? 404 : 400);
    }

    private static async Task<IResult> DeleteRule(string slug, long ruleId, AdminSession session, ProjectStore projects, AlertStore alerts, DeliveryStore deliveries)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        var deleted = await alerts.DeleteRuleAsync(project.Id, ruleId);
        return Render(slug, session, projects, alerts, deliveries, deleted ? "Rule deleted." : null, deleted ? null : "No such rule.", deleted ? 200 : 404);
    }

}
