using Kestrel.Tests.Support;

namespace Kestrel.Tests.Alerts;

/// <summary>E-mail alerts through a real SMTP server (aiosmtpd on loopback).</summary>
public sealed class AlertEmailTests
{
    private static Dictionary<string, string> Settings(SmtpServer smtp, int perHour = 60)
    {
        var settings = AlertApi.Settings();
        settings["KESTREL_SMTP_URL"] = smtp.Url;
        settings["KESTREL_SMTP_FROM"] = "Kestrel <alerts@kestrel.example.test>";
        settings["KESTREL_ALERTS_EMAILS_PER_HOUR"] = perHour.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task A_hostile_new_issue_is_mailed_as_plain_text_and_escaped_html_to_every_address()
    {
        await using var smtp = await SmtpServer.StartAsync();
        await using var server = await KestrelServer.StartAsync(Settings(smtp));
        var project = await server.CreateProjectAsync();
        var channel = await AlertApi.ChannelAsync(project, new { name = "ops mail", kind = "email", to = new[] { "ops@example.test", "dev@example.test" } });
        await AlertApi.RuleAsync(project, new { name = "new", trigger = "new_issue", channel_ids = new[] { channel } });

        await project.IngestAsync(AlertApi.Event("<script>alert(1)</script> <img src=x onerror=alert(2)>\r\nBcc: victim@example.test " + new string('x', 10_000), user: "u-1"));
        var (message, recipients) = (await smtp.WaitForAsync(1))[0];

        Assert.Equal(["ops@example.test", "dev@example.test"], recipients);
        Assert.Equal("alerts@kestrel.example.test", message.From.Mailboxes.Single().Address);
        Assert.StartsWith("[Kestrel] New issue in project app (production): <script>alert(1)</script>", message.Subject);
        Assert.True(message.Subject!.Length <= 220, message.Subject);
        Assert.Empty(message.Bcc); // the line break in the title did not become a header
        Assert.Contains("https://kestrel.example.test/projects/app/issues/", message.TextBody);
        Assert.StartsWith("New issue in project app (production): <script>", message.TextBody!);
        Assert.Contains("\nUsers: 1\n", message.TextBody!.ReplaceLineEndings("\n"));
        Assert.Matches(">Users</th><td[^>]*>1</td>", message.HtmlBody);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", message.HtmlBody);
        Assert.DoesNotContain("<script", message.HtmlBody);
        Assert.DoesNotContain("<img", message.HtmlBody);
        Assert.Matches("href=\"https://kestrel.example.test/projects/app/issues/[0-9]+\"", message.HtmlBody);
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Length == 1 && all[0].GetProperty("status").GetString() == "delivered");
        Assert.Equal(log[0].GetProperty("id").GetString(), message.Headers["X-Kestrel-Delivery"]);
        Assert.Equal(250, log[0].GetProperty("httpStatus").GetInt32());
    }

    [Fact]
    public async Task The_hourly_email_budget_holds_back_what_is_over_it_and_a_test_mail_takes_the_same_path()
    {
        await using var smtp = await SmtpServer.StartAsync();
        await using var server = await KestrelServer.StartAsync(Settings(smtp, perHour: 1));
        var project = await server.CreateProjectAsync();
        var channel = await AlertApi.ChannelAsync(project, new { name = "mail", kind = "email", to = new[] { "ops@example.test" } });
        var (_, test) = await AlertApi.SendAsync(project, HttpMethod.Post, $"/api/alerts/channels/{channel}/test");
        Assert.Equal("delivered", test.GetProperty("status").GetString());
        Assert.StartsWith("[Kestrel] Test notification for channel mail", (await smtp.WaitForAsync(1))[0].Message.Subject);

        await AlertApi.RuleAsync(project, new { name = "new", trigger = "new_issue", channel_ids = new[] { channel } });
        await project.IngestAsync(AlertApi.Event("over the budget"));
        var log = await AlertApi.WaitForDeliveriesAsync(project, all => all.Any(d => d.GetProperty("trigger").GetString() == "new_issue" && d.TryGetProperty("error", out _)));
        var waiting = log.Single(d => d.GetProperty("trigger").GetString() == "new_issue");
        Assert.Equal("pending", waiting.GetProperty("status").GetString());
        Assert.Equal(0, waiting.GetProperty("attempts").GetInt32());
        Assert.Contains("KESTREL_ALERTS_EMAILS_PER_HOUR (1)", waiting.GetProperty("error").GetString());
        Assert.Single(smtp.Messages);
    }
}
