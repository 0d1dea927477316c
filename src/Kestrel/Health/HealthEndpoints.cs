using Dapper;
using Kestrel.Platform;

namespace Kestrel.Health;

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/healthz/ready", Ready);
    }

    /// <summary>Ready when the database answers SELECT 1 within 2 s (a locked or missing disk fails this).</summary>
    private static async Task<IResult> Ready(Database database)
    {
        var probe = Task.Run(() =>
        {
            using var connection = database.Open();
            return connection.ExecuteScalar<long>("SELECT 1") == 1;
        });
        try
        {
            var finished = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(2)));
            if (finished == probe && await probe) return Results.Text("ready");
        }
        catch (Exception) { /* any database error means not ready */ }
        return Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
