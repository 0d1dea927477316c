using Kestrel.Platform;
using Npgsql;

namespace Kestrel.Tests.Platform;

/// <summary>KESTREL_DATABASE_URL: what it accepts, and the sentence each mistake gets (never echoing the password).</summary>
public sealed class PostgresUrlTests
{
    [Fact]
    public void A_full_url_gives_every_part_percent_decoded()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString("postgresql://err%40ors:p%3Ass%2Fw@db.internal:6432/kestrel_prod?sslmode=verify-full"));
        Assert.Equal("err@ors", builder.Username);
        Assert.Equal("p:ss/w", builder.Password);
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6432, builder.Port);
        Assert.Equal("kestrel_prod", builder.Database);
        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
    }

    [Fact]
    public void Port_defaults_to_5432_and_the_password_is_optional()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString("postgres://kestrel@[::1]/kestrel"));
        Assert.Equal(5432, builder.Port);
        Assert.Equal("::1", builder.Host);
        Assert.Null(builder.Password);
        Assert.Equal(SslMode.Prefer, builder.SslMode);
    }

    [Theory]
    [InlineData("mysql://u:secret@h/db", "must start with postgres:// or postgresql://")]
    [InlineData("postgres://u:secret@/db", "not a valid URL with a host")]
    [InlineData("postgres://:secret@h/db", "no user name")]
    [InlineData("postgres://u:secret@h", "must name one database")]
    [InlineData("postgres://u:secret@h/a/b", "must name one database")]
    [InlineData("postgres://u:secret@h/db?sslmode=always", "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, not 'always'")]
    [InlineData("postgres://u:secret@h/db?options=-c%20x", "'options' is not a parameter Kestrel knows")]
    [InlineData("postgres://u:secret@h:99999/db", "not a valid URL with a host")]
    public void A_malformed_url_gets_a_sentence_naming_the_setting_and_the_mistake(string url, string mistake)
    {
        var e = Assert.Throws<ConfigurationException>(() => PostgresUrl.Validate(url, "KESTREL_DATABASE_URL"));
        Assert.StartsWith("Setting KESTREL_DATABASE_URL must look like postgres://user:password@host:5432/database: ", e.Message);
        Assert.Contains(mistake, e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }
}
