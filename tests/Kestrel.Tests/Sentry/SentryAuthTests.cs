using System.Text;
using Kestrel.Ingest;

namespace Kestrel.Tests.Sentry;

public sealed class SentryAuthTests
{
    private const string Key = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("Sentry sentry_version=7,sentry_client=sentry.dotnet/6.12.1,sentry_key=" + Key, null, null)] // .NET, no spaces
    [InlineData("Sentry sentry_key=" + Key + ", sentry_version=7, sentry_client=sentry.python/2.75.0", null, null)]
    [InlineData("sentry  sentry_key = " + Key + " ", null, null)]
    [InlineData(null, "Sentry sentry_key=" + Key + ",sentry_version=7", null)]
    [InlineData(null, null, Key)] // @sentry/node and browsers: ?sentry_key=
    [InlineData("Sentry sentry_key=" + Key, "Sentry sentry_key=" + Key, Key)] // the same key twice is fine
    [InlineData(null, "Bearer something-else", Key)] // other Authorization schemes are not Sentry's business
    public void Each_form_yields_the_key(string? sentryAuth, string? authorization, string? query)
    {
        var (key, error) = SentryAuth.FromRequest(sentryAuth, authorization, query);
        Assert.Null(error);
        Assert.Equal(Key, key);
    }

    [Fact]
    public void Basic_authorization_carries_the_key_as_user_name()
    {
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Key + ":"));
        Assert.Equal((Key, null), SentryAuth.FromRequest(null, header, null));
    }

    [Fact]
    public void No_credentials_is_no_key_and_no_error() => Assert.Equal((null, null), SentryAuth.FromRequest(null, null, null));

    [Theory]
    [InlineData("sentry_key=" + Key, null, null, "X-Sentry-Auth must look like")]
    [InlineData("Sentry sentry_version=7", null, null, "X-Sentry-Auth must look like")]
    [InlineData("Sentry sentry_key=", null, null, "X-Sentry-Auth must look like")]
    [InlineData(null, "Sentry sentry_version=7", null, "Authorization must look like")]
    [InlineData(null, "Basic !!!not-base64", null, "Basic must carry")]
    [InlineData("Sentry sentry_key=" + Key, null, "ffffffffffffffffffffffffffffffff", "more than one public key")]
    [InlineData(null, "Sentry sentry_key=" + Key, "ffffffffffffffffffffffffffffffff", "more than one public key")]
    public void Malformed_or_contradicting_credentials_are_an_error(string? sentryAuth, string? authorization, string? query, string expected)
    {
        var (key, error) = SentryAuth.FromRequest(sentryAuth, authorization, query);
        Assert.Null(key);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("https://" + Key + "@errors.example.com/42", Key, "42")]
    [InlineData("http://" + Key + ":secret@127.0.0.1:8080/sentry/7", Key, "7")]
    [InlineData("https://" + Key + "@errors.example.com/42/", Key, "42")]
    public void A_dsn_gives_key_and_project(string dsn, string key, string project) =>
        Assert.Equal((key, project), SentryAuth.ParseDsn(dsn));

    [Theory]
    [InlineData("not a url")]
    [InlineData("https://errors.example.com/42")]
    [InlineData("ftp://" + Key + "@errors.example.com/42")]
    [InlineData("https://" + Key + "@errors.example.com")]
    public void A_bad_dsn_gives_nothing(string dsn) => Assert.Null(SentryAuth.ParseDsn(dsn));
}
