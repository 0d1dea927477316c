using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Kestrel.Web;

/// <summary>
/// Keeps ASP.NET Data Protection keys in memory. Razor components bring Data Protection along, and at
/// start it makes a key ring that it would otherwise write to ~/.aspnet, outside the data directory.
/// Kestrel protects nothing with it (sessions and CSRF tokens are signed with .session_secret), so
/// keys that die with the process lose nothing.
/// </summary>
public sealed class MemoryKeyRepository : IXmlRepository
{
    private readonly List<XElement> elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (elements) return elements.Select(e => new XElement(e)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (elements) elements.Add(new XElement(element));
    }
}
