using System.Text.Json;

namespace Kestrel.Tests.Support;

/// <summary>Small event bodies in Sentry's format for end-to-end tests.</summary>
public static class Events
{
    public static string Exception(string type, string value, string function = "handle", string file = "app/handler.py", int line = 10, string[]? fingerprint = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["level"] = "error",
            ["platform"] = "python",
            ["fingerprint"] = fingerprint,
            ["exception"] = new
            {
                values = new[]
                {
                    new
                    {
                        type,
                        value,
                        stacktrace = new
                        {
                            frames = new object[]
                            {
                                new { function = "main", filename = "app/main.py", lineno = 1, in_app = true },
                                new { function, filename = file, lineno = line, in_app = true },
                            },
                        },
                    },
                },
            },
        }.Where(p => p.Value is not null).ToDictionary());

    public static string Message(string message) => JsonSerializer.Serialize(new { message, level = "info" });
}
