namespace Kestrel.Tests.Support;

/// <summary>A clock the test moves by hand; timers are not supported (nothing under test waits on this one).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
