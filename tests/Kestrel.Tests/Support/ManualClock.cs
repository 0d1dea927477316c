namespace Kestrel.Tests.Support;

/// <summary>A clock that moves only when the test moves it; timers are not supported (nothing under test waits on one).</summary>
public sealed class ManualClock : TimeProvider
{
    public ManualClock() : this(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)) { }
    public ManualClock(DateTimeOffset start) => Now = start;

    public DateTimeOffset Now { get; set; }
    public override DateTimeOffset GetUtcNow() => Now;
}
