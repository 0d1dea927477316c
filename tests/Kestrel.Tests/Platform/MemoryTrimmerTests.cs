using Kestrel.Platform;

namespace Kestrel.Tests.Platform;

public sealed class MemoryTrimmerTests
{
    private const long MB = 1 << 20;

    [Theory]
    [InlineData(1000, 999, 0, true)]      // idle after 1 GB of work: trim
    [InlineData(1000, 900, 0, false)]     // still busy: 100 MB in the last period
    [InlineData(1000, 999, 800, false)]   // idle, but little since the last trim: a trickle never trims
    [InlineData(1000, 1000, 744, true)]   // exactly 256 MB since the last trim
    public void Trims_once_idle_after_a_burst_and_not_under_load_or_a_trickle(long nowMB, long lastLookMB, long lastTrimMB, bool expected) =>
        Assert.Equal(expected, MemoryTrimmer.ShouldTrim(nowMB * MB, lastLookMB * MB, lastTrimMB * MB));
}
