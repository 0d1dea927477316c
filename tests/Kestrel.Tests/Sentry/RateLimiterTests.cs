using Kestrel.Ingest;
using Kestrel.Platform;
using Kestrel.Tests.Support;

namespace Kestrel.Tests.Sentry;

/// <summary>The per-project token bucket, on a clock the test moves.</summary>
public sealed class RateLimiterTests
{
    private static (RateLimiter, ManualClock) Create(int perMinute)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 27, 12, 0, 30, TimeSpan.Zero));
        return (new RateLimiter(new KestrelOptions { RateLimitPerMinute = perMinute }, clock), clock);
    }

    [Fact]
    public void A_minute_of_events_may_come_at_once_then_room_returns_at_the_limit_per_second()
    {
        var (limiter, clock) = Create(120); // two per second
        Assert.Null(limiter.TryAcquire(1, 120));
        Assert.Equal(1, limiter.TryAcquire(1, 1)); // half a second away, rounded up
        Assert.Equal(5, limiter.TryAcquire(1, 10));
        clock.Now += TimeSpan.FromSeconds(5);
        Assert.Null(limiter.TryAcquire(1, 10));
        Assert.NotNull(limiter.TryAcquire(1, 1));
    }

    [Fact]
    public void Crossing_a_minute_boundary_gives_no_extra_allowance()
    {
        var (limiter, clock) = Create(60);
        clock.Now = new DateTimeOffset(2026, 11, 27, 12, 0, 59, TimeSpan.Zero);
        Assert.Null(limiter.TryAcquire(1, 60));
        clock.Now += TimeSpan.FromSeconds(2); // a fixed window would allow 60 more here
        Assert.Null(limiter.TryAcquire(1, 2));
        Assert.Equal(1, limiter.TryAcquire(1, 1));
    }

    [Fact]
    public void The_advised_wait_is_exact_for_small_limits()
    {
        var (limiter, clock) = Create(2); // one event per 30 s
        Assert.Null(limiter.TryAcquire(1, 2));
        Assert.Equal(30, limiter.TryAcquire(1, 1));
        clock.Now += TimeSpan.FromSeconds(29);
        Assert.Equal(1, limiter.TryAcquire(1, 1));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Null(limiter.TryAcquire(1, 1));
    }

    [Fact]
    public void Projects_are_limited_separately_and_more_than_a_minute_of_events_never_fits()
    {
        var (limiter, _) = Create(10);
        Assert.Null(limiter.TryAcquire(1, 10));
        Assert.Null(limiter.TryAcquire(2, 10));
        Assert.Equal(60, limiter.TryAcquire(3, 11));
    }

    [Fact]
    public void Events_given_back_fit_again_but_never_above_a_minutes_worth()
    {
        var (limiter, _) = Create(10);
        Assert.Null(limiter.TryAcquire(1, 10));
        Assert.NotNull(limiter.TryAcquire(1, 4));
        limiter.Return(1, 4);
        Assert.Null(limiter.TryAcquire(1, 4));
        limiter.Return(1, 100);
        Assert.Equal(60, limiter.TryAcquire(1, 11));
        Assert.Null(limiter.TryAcquire(1, 10));
    }

    [Fact]
    public void Zero_turns_the_limit_off() => Assert.Null(Create(0).Item1.TryAcquire(1, 1_000_000));
}
