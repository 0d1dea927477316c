using Kestrel.Alerts;
using Kestrel.Alerts.Pages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Kestrel.Tests.Alerts;

/// <summary>The web forms of channels and rules become the API's bodies and get the API's words (pure; AlertPagesTests drives the pages).</summary>
public sealed class AlertFormTests
{
    private static readonly AlertChannel Hook = new(1, 1, "hook", "webhook", "https://hooks.example/a", "stored-secret", [], null, null, 0);
    private static readonly AlertRule Spike = new(2, 1, "spikes", "spike", 10, 5, null, null, 60, true, [1], 0);

    private static FormCollection Form(params (string Key, string[] Values)[] fields) =>
        new(fields.ToDictionary(f => f.Key, f => new StringValues(f.Values)));

    private static string? RuleProblem(FormCollection form) => AlertInput.Rule(AlertForms.Rule(form, withEnabled: true), RuleDraft.From(Spike)).Error;

    [Fact]
    public void A_rule_form_is_checked_with_the_api_words()
    {
        var good = Form(("name", ["bursts"]), ("trigger", ["spike"]), ("threshold", [" 20 "]), ("window_minutes", ["5"]), ("channel_ids", ["1", "3"]),
            ("level", [""]), ("environment", ["production"]), ("cooldown_minutes", [""]), ("enabled", ["true"]));
        var (draft, error) = AlertInput.Rule(AlertForms.Rule(good, withEnabled: true), RuleDraft.From(Spike));
        Assert.Null(error);
        Assert.Equal(new RuleDraft("bursts", "spike", null, 20, 5, null, "production", 60, true), draft! with { ChannelIds = null });
        Assert.Equal([1L, 3L], draft.ChannelIds);

        Assert.Equal("threshold must be a whole number.", RuleProblem(Form(("name", ["x"]), ("trigger", ["spike"]), ("threshold", ["lots"]), ("channel_ids", ["1"]))));
        Assert.Equal("cooldown_minutes must be a whole number from 0 to 43200.", RuleProblem(Form(("name", ["x"]), ("trigger", ["new_issue"]), ("cooldown_minutes", ["-1"]), ("channel_ids", ["1"]))));
        Assert.Equal("threshold and window_minutes are only for spike rules.", RuleProblem(Form(("name", ["x"]), ("trigger", ["new_issue"]), ("threshold", ["3"]), ("channel_ids", ["1"]))));
        Assert.Equal("channel_ids must be a list of channel ids.", RuleProblem(Form(("name", ["x"]), ("trigger", ["new_issue"]), ("channel_ids", ["one"]))));
        Assert.Equal("channel_ids must name 1 to 20 channels of this project.", RuleProblem(Form(("name", ["x"]), ("trigger", ["new_issue"]))));
        Assert.Equal("name must be 1 to 100 characters.", RuleProblem(Form(("name", [" "]), ("trigger", ["new_issue"]), ("channel_ids", ["1"]))));
    }

    [Fact]
    public void The_edit_form_without_the_enabled_box_disables_the_rule_and_the_toggle_takes_only_true_or_false()
    {
        var (draft, _) = AlertInput.Rule(AlertForms.Rule(Form(("name", ["x"]), ("trigger", ["new_issue"]), ("channel_ids", ["1"])), withEnabled: true), RuleDraft.From(Spike));
        Assert.False(draft!.Enabled);
        Assert.False(AlertInput.Rule(AlertForms.Enabled(Form(("enabled", ["false"]))), RuleDraft.From(Spike)).Draft!.Enabled);
        Assert.Equal("enabled must be true or false.", AlertInput.Rule(AlertForms.Enabled(Form(("enabled", ["maybe"]))), RuleDraft.From(Spike)).Error);
    }

    [Fact]
    public void An_empty_secret_keeps_the_stored_one_a_typed_one_replaces_it_and_remove_takes_it_away()
    {
        ChannelDraft? Saved(FormCollection form)
        {
            var (body, error) = AlertForms.EditedChannel(form, Hook);
            Assert.Null(error);
            return AlertInput.Channel(body, ChannelDraft.From(Hook)).Draft;
        }
        Assert.Equal("stored-secret", Saved(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"]), ("secret", [""])))!.Secret);
        Assert.Equal("a-new-secret", Saved(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"]), ("secret", ["a-new-secret"])))!.Secret);
        Assert.Null(Saved(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"]), ("remove_secret", ["true"])))!.Secret);
        Assert.Equal("https://hooks.example/b", Saved(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"])))!.Url);

        var (_, both) = AlertForms.EditedChannel(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"]), ("secret", ["a-new-secret"]), ("remove_secret", ["true"])), Hook);
        Assert.Equal("secret: type a new secret or remove the stored one, not both.", both);
        var (shortBody, _) = AlertForms.EditedChannel(Form(("name", ["hook"]), ("url", ["https://hooks.example/b"]), ("secret", ["short"])), Hook);
        Assert.Equal("secret must be 8 to 200 characters.", AlertInput.Channel(shortBody, ChannelDraft.From(Hook)).Error);
        var (badUrl, _) = AlertForms.EditedChannel(Form(("name", ["hook"]), ("url", ["ftp://x"])), Hook);
        Assert.Equal("url must be an absolute http:// or https:// URL.", AlertInput.Channel(badUrl, ChannelDraft.From(Hook)).Error);
    }

    [Fact]
    public void An_email_channel_edit_takes_addresses_and_keeps_its_kind()
    {
        var mail = new AlertChannel(3, 1, "mail", "email", null, null, ["ops@example.com"], null, null, 0);
        var (body, _) = AlertForms.EditedChannel(Form(("name", ["mail"]), ("to", ["a@example.com, b@example.com"])), mail);
        Assert.Equal(["a@example.com", "b@example.com"], AlertInput.Channel(body, ChannelDraft.From(mail)).Draft!.To!);
        (body, _) = AlertForms.EditedChannel(Form(("name", ["mail"]), ("to", ["not-an-address"])), mail);
        Assert.Equal("to: 'not-an-address' is not an e-mail address.", AlertInput.Channel(body, ChannelDraft.From(mail)).Error);
    }
}
