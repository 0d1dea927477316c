using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MimeKit;

namespace Kestrel.Alerts.Formats;

/// <summary>
/// An alert e-mail: the headline as subject (one line, cut to 200 characters; MimeKit encodes it), a
/// plain-text part and an HTML part rendered by <see cref="EmailBody"/>.
/// </summary>
public sealed class EmailFormat(IServiceProvider services, ILoggerFactory loggers)
{
    public async Task<MimeMessage> BuildAsync(AlertMessage m, string from, IReadOnlyList<string> to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var address in to) message.To.Add(MailboxAddress.Parse(address));
        message.Subject = "[Kestrel] " + Escape.Fit(m.Headline, s => s, 200);
        message.Headers.Add("X-Kestrel-Delivery", m.DeliveryId);
        var text = new System.Text.StringBuilder();
        text.AppendLine(Escape.OneLine(m.Headline)).AppendLine(m.Url).AppendLine();
        foreach (var (name, value) in Facts.Of(m)) text.AppendLine($"{name}: {Escape.Fit(value, s => s, 500)}");
        text.AppendLine().AppendLine($"Sent by Kestrel for the alert channel {Escape.OneLine(m.ChannelName)}. Delivery {m.DeliveryId}.");
        var body = new BodyBuilder { TextBody = text.ToString(), HtmlBody = await RenderAsync(m) };
        message.Body = body.ToMessageBody();
        return message;
    }

    private async Task<string> RenderAsync(AlertMessage m)
    {
        await using var renderer = new HtmlRenderer(services, loggers);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<EmailBody>(ParameterView.FromDictionary(new Dictionary<string, object?> { ["Message"] = m }));
            return output.ToHtmlString();
        });
    }
}
