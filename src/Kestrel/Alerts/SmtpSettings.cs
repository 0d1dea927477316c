using Kestrel.Platform;
using MailKit.Security;
using MimeKit;

namespace Kestrel.Alerts;

/// <summary>
/// KESTREL_SMTP_URL read once: <c>smtp://user:pass@host:587</c> (STARTTLS required),
/// <c>smtps://user:pass@host:465</c> (TLS from the first byte), <c>smtp://host:25?tls=none</c> (a local relay, no TLS).
/// The password lives only in the setting; nothing that answers the API or renders a page shows it.
/// </summary>
public sealed record SmtpSettings(string Url, string Host, int Port, SecureSocketOptions Security, string? User, string? Password)
{
    public static SmtpSettings Parse(string value, string name)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("smtp" or "smtps") || uri.Host.Length == 0)
            throw new ConfigurationException($"Setting {name} must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587.");
        var tls = uri.Query.TrimStart('?') switch
        {
            "" => null,
            "tls=none" => "none",
            "tls=starttls" => "starttls",
            _ => throw new ConfigurationException($"Setting {name} takes only ?tls=none or ?tls=starttls after the address."),
        };
        if (uri.Scheme == "smtps" && tls is not null)
            throw new ConfigurationException($"Setting {name}: smtps:// always uses TLS; use smtp://...?tls=none for a relay without it.");
        var security = uri.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect
            : tls == "none" ? SecureSocketOptions.None : SecureSocketOptions.StartTls;
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (uri.Scheme == "smtps" ? 465 : 587) : uri.Port;
        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        return new SmtpSettings(value, uri.IdnHost, port, security, user, password);
    }

    public static string ParseFrom(string value, string name) =>
        MailboxAddress.TryParse(value, out var address) && address.Address.Contains('@')
            ? value
            : throw new ConfigurationException($"Setting {name} must be an e-mail address such as Kestrel <alerts@example.com>, not '{value}'.");

    /// <summary>The URL with the password replaced, for logs and pages.</summary>
    public override string ToString() => $"{(Security == SecureSocketOptions.SslOnConnect ? "smtps" : "smtp")}://{Host}:{Port}";
}
