namespace Kestrel.Platform;

/// <summary>Every API error is <c>{"error": "one sentence"}</c> with the matching status.</summary>
public static class ApiError
{
    public static IResult Result(int status, string message) =>
        Results.Json(new ErrorBody(message), KestrelJson.Options, statusCode: status);

    public static IResult BadRequest(string message) => Result(StatusCodes.Status400BadRequest, message);
    public static IResult Unauthorized(string message) => Result(StatusCodes.Status401Unauthorized, message);
    public static IResult Forbidden(string message) => Result(StatusCodes.Status403Forbidden, message);
    public static IResult NotFound(string message) => Result(StatusCodes.Status404NotFound, message);
    public static IResult TooLarge(string message) => Result(StatusCodes.Status413PayloadTooLarge, message);

    public sealed record ErrorBody(string Error);
}
