using System.Net;
using System.Text.Json;
using Kestrel.Alerts;
using Kestrel.Alerts.Formats;
using Kestrel.Platform;

namespace Kestrel.Tests.Alerts;

/// <summary>The pure parts of alerts: address classification (no packet is sent), the retry schedule, escaping, input rules.</summary>
public sealed class AlertUnitTests
{
    [Theory]
    [InlineData("8.8.8.8", null, null)]
    [InlineData("2606:4700:4700::1111", null, null)]
    [InlineData("127.0.0.1", "loopback", null)]
    [InlineData("127.9.9.9", "loopback", null)]
    [InlineData("::1", "loopback", null)]
    [InlineData("10.1.2.3", "private", null)]
    [InlineData("172.16.0.1", "private", null)]
    [InlineData("172.31.255.255", "private", null)]
    [InlineData("192.168.1.1", "private", null)]
    [InlineData("100.64.0.1", "carrier-grade NAT", null)]
    [InlineData("169.254.169.254", "link-local", "link-local")]
    [InlineData("169.254.170.2", "link-local", "link-local")]
    [InlineData("100.100.100.200", "metadata", "metadata")]
    [InlineData("fd00:ec2::254", "metadata", "metadata")]
    [InlineData("0.0.0.0", "unspecified", "unspecified")]
    [InlineData("::", "unspecified", "unspecified")]
    [InlineData("224.0.0.1", "multicast", "multicast")]
    [InlineData("ff02::1", "multicast", "multicast")]
    [InlineData("255.255.255.255", "broadcast", "broadcast")]
    [InlineData("fc00::1", "unique-local", null)]
    [InlineData("fd12:3456::1", "unique-local", null)]
    [InlineData("fe80::1", "link-local", null)]
    [InlineData("::ffff:127.0.0.1", "loopback", null)]
    [InlineData("::ffff:169.254.169.254", "link-local", "link-local")]
    [InlineData("::ffff:10.0.0.1", "private", null)]
    [InlineData("::ffff:8.8.8.8", null, null)]
    [InlineData("::10.0.0.1", "private", null)]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local", "link-local")]
    [InlineData("64:ff9b::808:808", null, null)]
    [InlineData("2002:7f00:1::", "loopback", null)]
    [InlineData("172.32.0.1", null, null)]
    [InlineData("192.0.2.10", "documentation", null)]
    public void Addresses_are_classified_with_and_without_private_targets(string address, string? refusedByDefault, string? refusedWhenAllowed)
    {
        var ip = IPAddress.Parse(address);
        var strict = AddressPolicy.Refusal(ip, allowPrivate: false);
        var relaxed = AddressPolicy.Refusal(ip, allowPrivate: true);
        if (refusedByDefault is null) Assert.Null(strict); else Assert.Contains(refusedByDefault, strict);
        if (refusedWhenAllowed is null) Assert.Null(relaxed); else Assert.Contains(refusedWhenAllowed, relaxed);
    }

    [Fact]
    public void The_retry_schedule_scales_with_its_base_honours_Retry_After_and_gives_up_after_24_hours()
    {
        var schedule = new RetrySchedule(30);
        Assert.Equal([30, 120, 600, 3600, 21600, 21600], Enumerable.Range(1, 6).Select(n => schedule.Delay(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromHours(24), schedule.GiveUpAfter);
        Assert.Equal(TimeSpan.FromMinutes(1), schedule.FloodWindow);
        var created = DateTimeOffset.UnixEpoch;
        Assert.Equal(created.AddSeconds(30), schedule.Next(created, created, 1, null));
        Assert.Equal(created.AddSeconds(90), schedule.Next(created, created, 1, TimeSpan.FromSeconds(90)));
        Assert.Null(schedule.Next(created, created.AddHours(20), 6, null)); // 20 h + 6 h is past 24 h
        Assert.Equal(TimeSpan.FromSeconds(0.4), new RetrySchedule(0.1).Delay(2));
    }

    [Fact]
    public void Fit_cuts_raw_text_so_that_the_escaped_text_fits_and_never_splits_an_escape()
    {
        var fitted = Escape.Fit(new string('&', 100), Escape.Slack, 50);
        Assert.True(fitted.Length <= 50, fitted);
        Assert.Matches("^(&amp;)+…$", fitted);
        Assert.Equal("a b", Escape.Fit("a\nb", s => s, 10));
        var emoji = Escape.Cut(string.Concat(Enumerable.Repeat("😀", 10)), 5);
        Assert.Equal("😀😀…", emoji); // whole surrogate pairs only
    }

    [Fact]
    public void Mentions_and_markdown_links_are_defused_for_chat()
    {
        Assert.Equal("@\u200Bchannel", Escape.NoMentions("@channel"));
        Assert.Equal("[x]\u200B(y)", Escape.NoMentions("[x](y)"));
        Assert.Equal("&lt;!channel&gt;", Escape.Slack("<!channel>"));
        Assert.Equal("\\*bold\\* \\[x\\]\\(y\\)", Escape.Markdown("*bold* [x](y)"));
        Assert.Equal("‹users/all›", Escape.GoogleChatText("<users/all>"));
    }

    [Fact]
    public async Task The_signature_is_the_hmac_of_timestamp_dot_body_as_the_python_check_in_the_docs_computes_it()
    {
        const string body = """{"version":1,"text":"caf\u00e9 <b>"}""";
        // The receiver-side check from docs/alerts.md, run by the real python3.
        var python = await Support.Tool.RunOkAsync("/usr/bin/python3", "-c",
            "import hmac, hashlib, sys; print('sha256=' + hmac.new(sys.argv[1].encode(), (sys.argv[2] + '.' + sys.argv[3]).encode(), hashlib.sha256).hexdigest())",
            "secret-key", "1700000000", body);
        Assert.Equal(python.Stdout.Trim(), DeliverySender.Signature("secret-key", "1700000000", System.Text.Encoding.UTF8.GetBytes(body)));
    }

    [Theory]
    [InlineData("""{"name":"a","kind":"pager","url":"https://x.example"}""", "kind must be one of")]
    [InlineData("""{"name":"a","kind":"slack","url":"ftp://x.example"}""", "url must be an absolute http")]
    [InlineData("""{"name":"a","kind":"slack"}""", "url is required")]
    [InlineData("""{"name":"","kind":"slack","url":"https://x.example"}""", "name must be 1 to 100")]
    [InlineData("""{"name":"a","kind":"slack","url":"https://x.example","secret":"12345678"}""", "secret is only for webhook")]
    [InlineData("""{"name":"a","kind":"webhook","url":"https://x.example","secret":"short"}""", "secret must be 8 to 200")]
    [InlineData("""{"name":"a","kind":"email","to":["not an address"]}""", "to: 'not an address' is not an e-mail address")]
    [InlineData("""{"name":"a","kind":"email","to":[]}""", "to must list 1 to 20")]
    [InlineData("""{"name":"a","kind":"email","url":"https://x.example","to":["a@b.example"]}""", "url is for the webhook kinds")]
    [InlineData("""{"name":"a","kind":"slack","url":"https://x.example","colour":"red"}""", "colour is not a field of a channel")]
    [InlineData("""[1]""", "The body must be a JSON object")]
    public void Bad_channels_are_refused_naming_the_field(string json, string problem)
    {
        var (draft, error) = AlertInput.Channel(JsonDocument.Parse(json).RootElement, new ChannelDraft(null, null, null, null, null));
        Assert.Null(draft);
        Assert.Contains(problem, error);
    }

    [Theory]
    [InlineData("""{"name":"a","trigger":"often","channel_ids":[1]}""", "trigger must be one of")]
    [InlineData("""{"name":"a","trigger":"new_issue","channel_ids":[]}""", "channel_ids must name 1 to 20")]
    [InlineData("""{"name":"a","trigger":"new_issue","channel_ids":["x"]}""", "channel_ids must be a list")]
    [InlineData("""{"name":"a","trigger":"spike","channel_ids":[1]}""", "threshold must be a whole number from 1")]
    [InlineData("""{"name":"a","trigger":"spike","threshold":5,"window_minutes":1441,"channel_ids":[1]}""", "window_minutes must be a whole number from 1 to 1440")]
    [InlineData("""{"name":"a","trigger":"new_issue","threshold":5,"channel_ids":[1]}""", "threshold and window_minutes are only for spike")]
    [InlineData("""{"name":"a","trigger":"new_issue","level":"loud","channel_ids":[1]}""", "level must be one of")]
    [InlineData("""{"name":"a","trigger":"new_issue","cooldown_minutes":43201,"channel_ids":[1]}""", "cooldown_minutes must be a whole number from 0 to 43200")]
    [InlineData("""{"name":"a","trigger":"new_issue","enabled":"yes","channel_ids":[1]}""", "enabled must be true or false")]
    [InlineData("""{"name":"a","trigger":"new_issue","channel_ids":[1],"when":"now"}""", "when is not a field of a rule")]
    public void Bad_rules_are_refused_naming_the_field(string json, string problem)
    {
        var (draft, error) = AlertInput.Rule(JsonDocument.Parse(json).RootElement, new RuleDraft(null, null, null, null, null, null, null));
        Assert.Null(draft);
        Assert.Contains(problem, error);
    }

    [Theory]
    [InlineData("smtp://user:p%40ss@mail.example:587", "mail.example", 587, "StartTls", "user", "p@ss")]
    [InlineData("smtps://mail.example", "mail.example", 465, "SslOnConnect", null, null)]
    [InlineData("smtp://127.0.0.1:2525?tls=none", "127.0.0.1", 2525, "None", null, null)]
    public void Smtp_urls_are_read_with_their_security(string url, string host, int port, string security, string? user, string? password)
    {
        var smtp = SmtpSettings.Parse(url, "KESTREL_SMTP_URL");
        Assert.Equal((host, port, security, user, password), (smtp.Host, smtp.Port, smtp.Security.ToString(), smtp.User, smtp.Password));
        Assert.DoesNotContain("p@ss", smtp.ToString());
    }

    [Theory]
    [InlineData("http://mail.example")]
    [InlineData("smtp://mail.example?tls=maybe")]
    [InlineData("smtps://mail.example?tls=none")]
    public void Bad_smtp_urls_are_refused_at_start(string url) =>
        Assert.Throws<ConfigurationException>(() => SmtpSettings.Parse(url, "KESTREL_SMTP_URL"));
}
