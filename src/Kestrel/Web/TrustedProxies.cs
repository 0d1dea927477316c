using Kestrel.Platform;
using Microsoft.AspNetCore.HttpOverrides;

namespace Kestrel.Web;

/// <summary>
/// Behind a reverse proxy every request comes from the proxy's address. With <c>KESTREL_TRUSTED_PROXIES</c> set, a
/// request from one of those addresses is taken to be from the client its <c>X-Forwarded-For</c> names (so sign-in
/// throttling, per-client ingest limits and logs see the real client) over the scheme its <c>X-Forwarded-Proto</c> names
/// (so session cookies get <c>Secure</c> behind a TLS-terminating proxy). Headers from anyone else are ignored: any
/// client can send them. Without the setting nothing is believed, not even from loopback (ASP.NET's own default).
/// </summary>
public static class TrustedProxies
{
    public static WebApplication UseTrustedProxies(this WebApplication app, KestrelOptions options)
    {
        if (options.TrustedProxies.Count == 0) return app;
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // A chain of trusted proxies (a CDN, then nginx) is walked back to the first address none of them owns.
            ForwardLimit = null,
        };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in options.TrustedProxies) forwarded.KnownIPNetworks.Add(network);
        app.UseForwardedHeaders(forwarded);
        return app;
    }
}
