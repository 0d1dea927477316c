using Kestrel.Platform;

namespace Kestrel.Health;

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/healthz/ready", Ready);
    }

    /// <summary>
    /// Ready when the database answers within 2 s (a locked or missing disk fails this) and, on PostgreSQL, has the schema
    /// this binary expects (<see cref="Database.IsReady"/>).
    /// </summary>
    private static async Task<IResult> Ready(Database database)
    {
        var probe = Task.Run(database.IsReady);
        try
        {
            var finished = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(2)));
            if (finished == probe && await probe) return Results.Text("ready");
        }
        catch (Exception) { /* any database error means not ready */ }
        return Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
