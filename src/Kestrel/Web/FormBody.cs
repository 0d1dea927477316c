using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Kestrel.Web;

/// <summary>
/// Reads the small url-encoded forms of the web UI through the request's body stream, and keeps the result as the
/// request's form, so <c>ReadFormAsync</c> later returns it. ASP.NET's own form reader reads through the body's
/// PipeReader, and a client that half-closed its connection mid-form sometimes left that reader in a read when the
/// request ended: Kestrel then logged "Connection processing ended abnormally" with a stack trace, anyone could
/// flood the log through the sign-in form. Reading through the stream, as ingest does, leaves nothing in flight.
/// </summary>
public static class FormBody
{
    /// <returns>the form, or null when the body is not a url-encoded form</returns>
    /// <exception cref="BadHttpRequestException">the body ended early, was over the request's size limit, or is not a valid form</exception>
    public static async Task<IFormCollection?> ReadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Features.Get<IFormFeature>() is { Form: { } read }) return read;
        if (!http.Request.HasFormContentType
            || !string.Equals(http.Request.ContentType?.Split(';')[0].Trim(), "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            return null;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken); // bounded by Page.LimitBody's MaxRequestBodySize
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> fields;
        try { fields = new FormReader(Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length)).ReadForm(); }
        catch (InvalidDataException e) { throw new BadHttpRequestException($"The form cannot be read: {e.Message}"); }
        var form = new FormCollection(fields);
        http.Features.Set<IFormFeature>(new FormFeature(form));
        return form;
    }
}
