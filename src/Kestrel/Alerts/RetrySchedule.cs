namespace Kestrel.Alerts;

/// <summary>
/// When a failed delivery is tried again (PRODUCT.md §14): about 30 s, 2 min, 10 min, 1 h, then every
/// 6 h, given up 24 h after the notification was due. <c>KESTREL_ALERTS_RETRY_BASE_SECONDS</c> scales every
/// step and the 24 h together (and the flood guard's minute, <see cref="FloodWindow"/>), so tests run it in seconds.
/// </summary>
public sealed record RetrySchedule(double BaseSeconds)
{
    /// <summary>Multiples of the base after the 1st, 2nd, … failed attempt; the last repeats.</summary>
    private static readonly int[] Steps = [1, 4, 20, 120, 720];

    private const int GiveUpSteps = 2880; // 24 h at the default 30 s

    public TimeSpan Delay(long failedAttempts) => TimeSpan.FromSeconds(BaseSeconds * Steps[(int)Math.Clamp(failedAttempts - 1, 0, Steps.Length - 1)]);

    public TimeSpan GiveUpAfter => TimeSpan.FromSeconds(BaseSeconds * GiveUpSteps);

    /// <summary>The flood guard's "minute": two bases, which is 60 s by default.</summary>
    public TimeSpan FloodWindow => TimeSpan.FromSeconds(BaseSeconds * 2);

    /// <param name="retryAfter">what the target asked for (Retry-After); it wins over the schedule when given</param>
    /// <returns>the next attempt's time, or null when the delivery is to be given up</returns>
    public DateTimeOffset? Next(DateTimeOffset createdAt, DateTimeOffset now, long failedAttempts, TimeSpan? retryAfter)
    {
        var next = now + (retryAfter is { } asked && asked > TimeSpan.Zero ? asked : Delay(failedAttempts));
        return next - createdAt > GiveUpAfter ? null : next;
    }
}
