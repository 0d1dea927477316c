using Kestrel.Alerts.Pages;
using Kestrel.Issues.Pages;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Kestrel.Projects.Pages;
using Kestrel.SourceMaps.Pages;

namespace Kestrel.Web;

/// <summary>The web UI for people (PRODUCT.md §10): server-rendered Razor components, one admin session.</summary>
public static class WebEndpoints
{
    public static IServiceCollection AddWebUi(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new MemoryKeyRepository();
            o.XmlEncryptor = new NullXmlEncryptor(); // keys that never leave memory need no encryption at rest
        });
        return services.AddSingleton<AdminSessions>().AddSingleton<LoginThrottle>().AddSingleton<IssueListQuery>().AddSingleton<IssueDetailQuery>();
    }

    public static void MapWebUi(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.MapAssets();
        var pages = app.MapPages();
        app.MapLogin(pages);
        pages.MapGet("/", () => Results.Redirect("/projects"));
        pages.MapProjectPages();
        pages.MapIssuePages();
        pages.MapActivityPages();
        pages.MapReleasePages();
        pages.MapAlertPages();
    }
}
