using Kestrel.Projects;
using Kestrel.Projects.Pages;
using Kestrel.Web;

namespace Kestrel.Alerts.Pages;

/// <summary>
/// Editing one channel or one rule. Saving goes through <see cref="AlertChanges"/> as the API's PATCH does: a refused
/// form comes back with what was typed (never a secret) and the API's sentence, and nothing of it is stored.
/// </summary>
public static class AlertEditPages
{
    public static void MapAlertEditPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/projects/{slug}/alerts/channels/{channelId:long}", (string slug, long channelId, AdminSession session, ProjectStore projects, AlertStore alerts) =>
            projects.FindBySlug(slug) is not { } project ? ProjectPages.NotFound(session, slug)
            : alerts.Channel(project.Id, channelId) is not { } channel ? ChannelNotFound(session, channelId)
            : ChannelPage(session, project, channel, ChannelFormValues.From(channel), null));
        pages.MapPost("/projects/{slug}/alerts/channels/{channelId:long}", SaveChannel);
        pages.MapGet("/projects/{slug}/alerts/rules/{ruleId:long}", (string slug, long ruleId, AdminSession session, ProjectStore projects, AlertStore alerts) =>
            projects.FindBySlug(slug) is not { } project ? ProjectPages.NotFound(session, slug)
            : alerts.Rule(project.Id, ruleId) is not { } rule ? RuleNotFound(session, ruleId)
            : RulePage(session, project, rule, alerts.Channels(project.Id), RuleFormValues.From(rule), null));
        pages.MapPost("/projects/{slug}/alerts/rules/{ruleId:long}", SaveRule);
    }

    private static async Task<IResult> SaveChannel(string slug, long channelId, HttpRequest request, AdminSession session, ProjectStore projects,
        AlertStore alerts, DeliveryStore deliveries, AlertChanges changes, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        if (alerts.Channel(project.Id, channelId) is not { } stored) return ChannelNotFound(session, channelId);
        var form = await request.ReadFormAsync(ct);
        var (body, error) = AlertForms.EditedChannel(form, stored);
        var outcome = error is null ? await changes.UpdateChannelAsync(project.Id, channelId, body, ct) : new AlertChanges.Outcome<AlertChannel>(null, error);
        if (outcome.Saved is { } channel) return AlertPages.Render(slug, session, projects, alerts, deliveries, $"Channel {channel.Name} saved.", null);
        return outcome.NotFound ? ChannelNotFound(session, channelId) : ChannelPage(session, project, stored, ChannelFormValues.From(form), outcome.Error, 400);
    }

    private static async Task<IResult> SaveRule(string slug, long ruleId, HttpRequest request, AdminSession session, ProjectStore projects,
        AlertStore alerts, DeliveryStore deliveries, AlertChanges changes, CancellationToken ct)
    {
        if (projects.FindBySlug(slug) is not { } project) return ProjectPages.NotFound(session, slug);
        if (alerts.Rule(project.Id, ruleId) is not { } stored) return RuleNotFound(session, ruleId);
        var form = await request.ReadFormAsync(ct);
        var outcome = await changes.UpdateRuleAsync(project.Id, ruleId, AlertForms.Rule(form, withEnabled: true));
        if (outcome.Saved is { } rule) return AlertPages.Render(slug, session, projects, alerts, deliveries, $"Rule {rule.Name} saved.", null);
        return outcome.NotFound ? RuleNotFound(session, ruleId) : RulePage(session, project, stored, alerts.Channels(project.Id), RuleFormValues.From(form), outcome.Error, 400);
    }

    private static IResult ChannelPage(AdminSession session, Project project, AlertChannel channel, ChannelFormValues values, string? error, int status = 200) =>
        Page.Render<ChannelEditPage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project, Channel = channel, Values = values, Error = error }, status);

    private static IResult RulePage(AdminSession session, Project project, AlertRule rule, IReadOnlyList<AlertChannel> channels, RuleFormValues values,
        string? error, int status = 200) =>
        Page.Render<RuleEditPage>(new { Shell = session.Shell(project.Slug, project.Name), Project = project, Rule = rule, Channels = channels, Values = values, Error = error }, status);

    private static IResult ChannelNotFound(AdminSession session, long id) =>
        Page.Message(404, "No such channel", $"Channel {id} does not exist in this project.", session.Shell());

    private static IResult RuleNotFound(AdminSession session, long id) =>
        Page.Message(404, "No such rule", $"Rule {id} does not exist in this project.", session.Shell());
}
