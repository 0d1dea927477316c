using Kestrel.Tests.Support;

namespace Kestrel.Tests.Cli;

/// <summary>A server stopped by systemd (SIGTERM) or Ctrl-C (SIGINT) says so in one line, with what it wrote and flushed.</summary>
public sealed class ServerStopTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_stops_the_server_with_one_line_saying_what_it_flushed(string signal)
    {
        await using var server = await KestrelServer.StartAsync();
        var project = await server.CreateProjectAsync();
        await project.IngestAsync(Events.Message("one"));
        await project.IngestAsync(Events.Message("two"));

        Assert.Equal(0, await server.SignalAndWaitAsync(signal));
        var line = Assert.Single(server.Log.Split('\n'), l => l.Contains("Kestrel stopped", StringComparison.Ordinal));
        // SQLite copies its write-ahead log into kestrel.db; PostgreSQL has committed every write where it keeps it.
        var flushed = Engines.Current == Engines.Postgres ? "every write in PostgreSQL" : @"its write-ahead log \(\d+ pages\) copied into kestrel\.db";
        var said = System.Text.RegularExpressions.Regex.Match(line,
            $@"Kestrel stopped on SIG{signal}: (\d+) writes committed since start, 0 refused while stopping, {flushed}");
        Assert.True(said.Success, line);
        Assert.True(int.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2, line); // the two events at least
        if (Engines.Current == Engines.Postgres) return;
        var wal = new FileInfo(Path.Combine(server.DataDirectory, "kestrel.db-wal"));
        Assert.False(wal.Exists && wal.Length > 0, "the write-ahead log was left with data"); // the database file alone is whole
    }
}
