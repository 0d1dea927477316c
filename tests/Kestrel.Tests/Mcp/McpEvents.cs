using System.Text.Json;

namespace Kestrel.Tests.Mcp;

/// <summary>Events with what get_error shows: a chained exception, source context, request, user, tags and breadcrumbs.</summary>
public static class McpEvents
{
    public const string Release = "shop@1.2.3";
    public const string Url = "https://shop.example/checkout";

    public static string Checkout(string value = "'price'", int breadcrumbs = 30, string? function = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["level"] = "error",
            ["platform"] = "python",
            ["release"] = Release,
            ["environment"] = "production",
            ["transaction"] = "/checkout",
            ["request"] = new { method = "POST", url = Url, headers = new { Accept = "text/html" } },
            ["user"] = new { id = "42", email = "ada@example.com", ip_address = "203.0.113.9" },
            ["tags"] = new { browser = "Firefox 130", region = "eu" },
            ["breadcrumbs"] = new
            {
                values = Enumerable.Range(1, breadcrumbs).Select(i => new
                {
                    timestamp = 1_767_225_600 + i,
                    category = "http",
                    message = $"GET /cart/{i}",
                    data = new { status_code = 200 },
                }),
            },
            ["exception"] = new
            {
                values = new object[]
                {
                    new
                    {
                        type = "KeyError",
                        value,
                        stacktrace = new { frames = new object[] { new { function = "lookup", filename = "app/prices.py", lineno = 12, in_app = true } } },
                    },
                    new
                    {
                        type = "CheckoutError",
                        value = "could not price the cart",
                        stacktrace = new
                        {
                            frames = new object[]
                            {
                                new { function = "main", filename = "app/main.py", lineno = 3, in_app = true },
                                new
                                {
                                    function = function ?? "checkout", filename = "app/cart.py", lineno = 42, in_app = true,
                                    pre_context = new[] { "def checkout(cart):", "    # 38", "    # 39", "    items = cart.items", "    price = prices[item]" },
                                    context_line = "    total = price * qty",
                                    post_context = new[] { "    return total", "", "# 45", "# 46", "# 47" },
                                },
                                new
                                {
                                    function = "validate", filename = "site-packages/lib.py", lineno = 7, in_app = false,
                                    pre_context = new[] { "a" }, context_line = "raise", post_context = new[] { "b" },
                                },
                            },
                        },
                    },
                },
            },
        });
}
