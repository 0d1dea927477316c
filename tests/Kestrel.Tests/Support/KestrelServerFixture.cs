namespace Kestrel.Tests.Support;

/// <summary>One real server shared by a test class (xunit class fixture); each test works in projects of its own.</summary>
public sealed class KestrelServerFixture : IAsyncLifetime
{
    public KestrelServer Kestrel { get; private set; } = null!;
    public async Task InitializeAsync() => Kestrel = await KestrelServer.StartAsync();
    public async Task DisposeAsync() => await Kestrel.DisposeAsync();
}
