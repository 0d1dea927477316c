// Reports one kind of error to a DSN with the real Sentry .NET SDK.
// Usage: sentry-dotnet-client <dsn> exception|message|unhandled
// "unhandled" throws out of Main: the SDK's unhandled-exception integration sends the event and
// flushes before the runtime ends the process (exit code is then non-zero by design).
using Sentry;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: sentry-dotnet-client <dsn> exception|message|unhandled");
    return 2;
}

using (SentrySdk.Init(options =>
{
    options.Dsn = args[0];
    options.Release = "billing@3.1.0";
    options.Environment = "test";
    options.AutoSessionTracking = false;
    options.ShutdownTimeout = TimeSpan.FromSeconds(10);
}))
{
    switch (args[1])
    {
        case "exception":
            try { Billing.Charge(0); }
            catch (Exception e) { SentrySdk.CaptureException(e); }
            break;
        case "message":
            SentrySdk.CaptureMessage("Invoice queue is backing up");
            break;
        case "unhandled":
            Billing.Reconcile();
            break;
        default:
            Console.Error.WriteLine($"unknown scenario '{args[1]}'");
            return 2;
    }
    SentrySdk.Flush(TimeSpan.FromSeconds(10));
}
return 0;

static class Billing
{
    public static void Charge(decimal amount)
    {
        try { Validate(amount); }
        catch (ArgumentException e) { throw new InvalidOperationException("Charging the card failed", e); }
    }

    private static void Validate(decimal amount)
    {
        if (amount <= 0) throw new ArgumentOutOfRangeException(nameof(amount), amount, "Amount must be positive");
    }

    public static void Reconcile() => throw new FormatException("Ledger line 17 is not a number");
}
