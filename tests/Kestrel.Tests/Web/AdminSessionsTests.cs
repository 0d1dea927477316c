using Kestrel.Platform;
using Kestrel.Tests.Support;
using Kestrel.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kestrel.Tests.Web;

/// <summary>Sessions against a real database (kestrel.db, or PostgreSQL) and writer, with a clock the test moves.</summary>
[Trait("Engine", "both")] // it picks its engines itself
public sealed class AdminSessionsTests : IAsyncLifetime
{
    private readonly TempDirectory directory = new();
    private readonly ManualClock clock = new();
    private KestrelOptions options = null!;
    private Database database = null!;
    private DatabaseWriter? writer;

    /// <summary>Each test that stores sessions starts the database and writer of its engine.</summary>
    private async Task UseAsync(string engine)
    {
        options = new KestrelOptions { DataDirectory = directory.Path };
        options.DatabaseUrl = (await Engines.EnvironmentAsync(engine)).GetValueOrDefault("KESTREL_DATABASE_URL");
        database = Database.OpenAndMigrate(options);
        writer = new DatabaseWriter(database, options, NullLogger<DatabaseWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (writer is not null)
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
        directory.Dispose();
    }

    private AdminSessions Sessions(string password = "pw", string secret = "key") =>
        new(new Secrets { ConfiguredPassword = password, SessionKey = System.Text.Encoding.UTF8.GetBytes(secret) }, database, writer!, clock);

    private static AdminSession? Find(AdminSessions sessions, string cookie)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Cookie = $"{AdminSessions.CookieName}={cookie}";
        return sessions.Find(http);
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task A_session_lasts_seven_days_then_is_refused(string engine)
    {
        await UseAsync(engine);
        var sessions = Sessions();
        var (cookie, expires) = (await sessions.StartAsync("pw", CancellationToken.None))!.Value;
        Assert.Equal(clock.Now + AdminSessions.Lifetime, expires);
        clock.Now += TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1);
        Assert.NotNull(Find(sessions, cookie));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Null(Find(sessions, cookie));
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Ending_a_session_or_changing_the_password_or_secret_refuses_its_cookie(string engine)
    {
        await UseAsync(engine);
        var sessions = Sessions();
        var (cookie, _) = (await sessions.StartAsync("pw", CancellationToken.None))!.Value;
        var (other, _) = (await sessions.StartAsync("pw", CancellationToken.None))!.Value;
        Assert.Null(Find(Sessions(password: "new password"), cookie));
        Assert.Null(Find(Sessions(secret: "new secret"), cookie));

        var session = Find(sessions, cookie)!;
        Assert.True(AdminSessions.CsrfMatches(session, session.CsrfToken));
        Assert.False(AdminSessions.CsrfMatches(session, Find(sessions, other)!.CsrfToken));
        await sessions.EndAsync(session, CancellationToken.None);
        Assert.Null(Find(sessions, cookie));
        Assert.NotNull(Find(sessions, other));
    }

    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task Only_the_exact_password_starts_a_session_and_a_wrong_one_stores_nothing(string engine)
    {
        await UseAsync(engine);
        var sessions = Sessions(password: "Tr0ub4dor&3");
        foreach (var wrong in new[] { "", "tr0ub4dor&3", "Tr0ub4dor&3 ", "Tr0ub4dor" })
            Assert.Null(await sessions.StartAsync(wrong, CancellationToken.None));
        Assert.Equal(0, SessionRows());
        Assert.NotNull(await sessions.StartAsync("Tr0ub4dor&3", CancellationToken.None));
        Assert.Equal(1, SessionRows());
    }

    /// <summary>
    /// The stored password (no KESTREL_ADMIN_PASSWORD), reset as <c>kestrel admin reset-password</c> does while this
    /// AdminSessions lives: the next sign-in takes the new password and refuses the old, and the old session is gone.
    /// </summary>
    [Theory, MemberData(nameof(Engines.Both), MemberType = typeof(Engines))]
    public async Task A_reset_of_the_stored_password_holds_at_the_next_sign_in_without_a_restart(string engine)
    {
        await UseAsync(engine);
        var data = new DataDirectory(options);
        var secrets = Secrets.Load(options, database, data, NullLogger.Instance);
        var sessions = new AdminSessions(secrets, database, writer!, clock);
        var before = secrets.ReadAdminPassword();
        var (cookie, _) = (await sessions.StartAsync(before, CancellationToken.None))!.Value;

        var after = Secrets.ResetAdminPassword(options, database, data);
        Assert.NotEqual(before, after);
        Assert.Null(Find(sessions, cookie));
        Assert.Null(await sessions.StartAsync(before, CancellationToken.None));
        var (fresh, _) = (await sessions.StartAsync(after, CancellationToken.None))!.Value;
        Assert.NotNull(Find(sessions, fresh));
        Assert.Equal(1, SessionRows());
    }

    private long SessionRows()
    {
        using var connection = database.Connect();
        return Dapper.SqlMapper.ExecuteScalar<long>(connection, "SELECT COUNT(*) FROM admin_sessions");
    }
}
