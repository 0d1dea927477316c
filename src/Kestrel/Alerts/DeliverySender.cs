using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kestrel.Alerts.Formats;
using Kestrel.Platform;
using MailKit;
using MailKit.Net.Smtp;

namespace Kestrel.Alerts;

/// <summary>What one attempt got. <see cref="Retry"/> says whether trying again may help.</summary>
public sealed record SendResult(bool Delivered, int? Code, string? Error, bool Retry, TimeSpan? RetryAfter = null)
{
    public static SendResult Ok(int code) => new(true, code, null, false);
}

/// <summary>
/// Sends one message to one channel: formats it for the channel's kind and posts it (through
/// <see cref="GuardedHttp"/>) or mails it. Used by the dispatcher for every delivery, tests included.
/// </summary>
public sealed class DeliverySender(KestrelOptions options, EmailFormat emails, TimeProvider time) : IDisposable
{
    private readonly HttpClient http = GuardedHttp.Create(options.AlertsAllowPrivateTargets);
    private readonly SmtpSettings? smtp = options.SmtpUrl is null ? null : SmtpSettings.Parse(options.SmtpUrl, "KESTREL_SMTP_URL");

    public async Task<SendResult> SendAsync(AlertMessage m, AlertChannel channel, CancellationToken cancellationToken)
    {
        if (channel.Kind == "email") return await MailAsync(m, channel, cancellationToken);
        var body = channel.Kind switch
        {
            "webhook" => WebhookFormat.Body(m),
            "slack" => Json(SlackFormat.Body(m)),
            "discord" => Json(DiscordFormat.Body(m)),
            "teams" => Json(TeamsFormat.Body(m)),
            _ => Json(GoogleChatFormat.Body(m)),
        };
        return await PostAsync(m, channel, body, cancellationToken);
    }

    private static byte[] Json(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node);

    private async Task<SendResult> PostAsync(AlertMessage m, AlertChannel channel, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.UserAgent.ParseAdd($"Kestrel/{AppInfo.Version}");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        request.Headers.Add("X-Kestrel-Delivery", m.DeliveryId);
        request.Headers.Add("X-Kestrel-Timestamp", timestamp);
        if (channel.Secret is { } secret) request.Headers.Add("X-Kestrel-Signature", Signature(secret, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(GuardedHttp.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            if (code is >= 200 and < 300) return SendResult.Ok(code);
            var reason = $"{new Uri(channel.Url!).Host} answered {code} {response.ReasonPhrase}".TrimEnd();
            if (code is >= 300 and < 400) return new SendResult(false, code, reason + " (redirects are not followed).", Retry: false);
            if (code is 408 or 429 or >= 500) return new SendResult(false, code, reason + ".", Retry: true, RetryAfter(response));
            return new SendResult(false, code, reason + $": {await Snippet(response, timeout.Token)}", Retry: false);
        }
        catch (Exception e) when (Refused(e) is { } refused) { return new SendResult(false, null, refused.Message, Retry: false); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(false, null, $"No answer within {GuardedHttp.Timeout.TotalSeconds:0} s.", Retry: true);
        }
        catch (HttpRequestException e) { return new SendResult(false, null, "Network error: " + Innermost(e), Retry: true); }
    }

    /// <summary>HMAC-SHA256 of "timestamp.body" with the channel's secret, as sent in X-Kestrel-Signature.</summary>
    public static string Signature(string secret, string timestamp, byte[] body)
    {
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp + ".", signed);
        body.CopyTo(signed, timestamp.Length + 1);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        // A day at most: an absurd value must not park the delivery past the give-up time unnoticed.
        return wait is { } w && w > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(w.Ticks, TimeSpan.FromDays(1).Ticks)) : null;
    }

    private static async Task<string> Snippet(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return Escape.Cut(Escape.OneLine(text.Trim()), 200);
    }

    private static TargetRefusedException? Refused(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is TargetRefusedException refused) return refused;
        return null;
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }

    private async Task<SendResult> MailAsync(AlertMessage m, AlertChannel channel, CancellationToken cancellationToken)
    {
        if (smtp is null || options.SmtpFrom is null)
            return new SendResult(false, null, "E-mail is not set up: set KESTREL_SMTP_URL and KESTREL_SMTP_FROM.", Retry: false);
        var message = await emails.BuildAsync(m, options.SmtpFrom, channel.To);
        using var client = new SmtpClient { Timeout = (int)GuardedHttp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.Security, cancellationToken);
            if (smtp.User is not null) await client.AuthenticateAsync(smtp.User, smtp.Password ?? "", cancellationToken);
            var reply = await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return SendResult.Ok(250);
        }
        catch (SmtpCommandException e)
        {
            var code = (int)e.StatusCode;
            // 4xx replies are temporary by definition (RFC 5321); 5xx are final.
            return new SendResult(false, code, $"The SMTP server answered {code}: {Escape.OneLine(e.Message)}", Retry: code < 500);
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or System.Net.Sockets.SocketException or ServiceNotConnectedException
            or MailKit.Security.AuthenticationException or MailKit.Security.SslHandshakeException or TimeoutException)
        {
            return new SendResult(false, null, $"SMTP error: {Escape.OneLine(e.Message)}", Retry: e is not MailKit.Security.AuthenticationException);
        }
    }

    public void Dispose() => http.Dispose();
}
