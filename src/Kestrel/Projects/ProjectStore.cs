using System.Text.RegularExpressions;
using Dapper;
using Kestrel.Platform;

namespace Kestrel.Projects;

public sealed record Project(long Id, string Slug, string Name, string PublicKey, long CreatedAt);

/// <summary>A project with its secret token, which exists in clear only at creation or rotation.</summary>
public sealed record ProjectWithToken(Project Project, string Token);

public sealed class ProjectException(string message) : Exception(message);

/// <summary>
/// Projects, their token hashes and public keys. Writes here come from the CLI (its own process,
/// with SQLite's file locking between it and a running server), so they use a plain connection.
/// The SQL is the same on both engines. The look-ups by credential, made on every authenticated request, run on
/// <see cref="CredentialLookups"/>; on PostgreSQL a rotation notifies every node (<see cref="ProjectChangeListener"/>).
/// </summary>
public sealed partial class ProjectStore(Database database) : IDisposable
{
    private readonly CredentialLookups lookups = new(database);

    private const string Columns = "id AS Id, slug AS Slug, name AS Name, public_key AS PublicKey, created_at AS CreatedAt";

    public ProjectWithToken Create(string name, long nowMs)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw new ProjectException("A project name must be 1 to 100 characters long.");
        var baseSlug = Slugify(name);
        if (baseSlug.Length == 0) throw new ProjectException($"Project name '{name}' has no letters or digits to make a slug from.");

        using var connection = database.Connect();
        using var transaction = Database.BeginWrite(connection);
        // Two creates of one name at once must not pick the same free slug: SQLite's BEGIN IMMEDIATE already
        // serialises them; on PostgreSQL this lock does (reads of projects go on meanwhile).
        if (database.Engine == DatabaseEngine.Postgres) connection.Execute("LOCK TABLE projects IN EXCLUSIVE MODE", transaction: transaction);
        var slug = baseSlug;
        for (var n = 2; connection.ExecuteScalar<long>("SELECT COUNT(*) FROM projects WHERE slug = @slug", new { slug }, transaction) > 0; n++)
            slug = $"{baseSlug}-{n}";

        var token = ProjectTokens.NewSecretToken();
        var publicKey = ProjectTokens.NewPublicKey();
        var id = connection.ExecuteScalar<long>(
            "INSERT INTO projects (slug, name, token_hash, public_key, created_at) VALUES (@slug, @name, @hash, @publicKey, @nowMs) RETURNING id",
            new { slug, name, hash = ProjectTokens.Hash(token), publicKey, nowMs }, transaction);
        transaction.Commit();
        return new ProjectWithToken(new Project(id, slug, name, publicKey, nowMs), token);
    }

    public IReadOnlyList<Project> List()
    {
        using var connection = database.Connect();
        return connection.Query<Project>($"SELECT {Columns} FROM projects ORDER BY id").AsList();
    }

    public ProjectWithToken RotateToken(string slug)
    {
        using var connection = database.Connect();
        var token = ProjectTokens.NewSecretToken();
        var project = connection.QuerySingleOrDefault<Project>(
            $"UPDATE projects SET token_hash = @hash WHERE slug = @slug RETURNING {Columns}",
            new { slug, hash = ProjectTokens.Hash(token) });
        if (project is not null && database.Engine == DatabaseEngine.Postgres)
        {
            // Every node (this CLI's included, if it is one) forgets the old token now rather than in a second.
            connection.Execute($"NOTIFY {ProjectChangeListener.Channel}");
            lookups.ForgetRecent();
        }
        return project is null
            ? throw new ProjectException($"No project has the slug '{slug}'.")
            : new ProjectWithToken(project, token);
    }

    public Project? FindBySlug(string slug)
    {
        using var connection = database.Connect();
        return connection.QuerySingleOrDefault<Project>($"SELECT {Columns} FROM projects WHERE slug = @slug", new { slug });
    }

    public Project? FindBySecretToken(ReadOnlySpan<char> token) => lookups.ByTokenHash(ProjectTokens.Hash(token));

    public Project? FindByPublicKey(string publicKey) => lookups.ByPublicKey(publicKey);

    /// <summary>Forgets the projects found in the last second (PostgreSQL): one changed on another node.</summary>
    public void ForgetRecentCredentials() => lookups.ForgetRecent();

    public void Dispose() => lookups.Dispose();

    public long Count(System.Data.Common.DbConnection connection) => connection.ExecuteScalar<long>("SELECT COUNT(*) FROM projects");

    /// <summary>Lowercase letters, digits and single dashes, at most 50 characters.</summary>
    public static string Slugify(string name)
    {
        var slug = NonSlugRun().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > 50 ? slug[..50].TrimEnd('-') : slug;
    }

    public static string Dsn(Project project, string publicUrl)
    {
        var url = new Uri(publicUrl);
        var path = url.AbsolutePath.TrimEnd('/');
        return $"{url.Scheme}://{project.PublicKey}@{url.Authority}{path}/{project.Id}";
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlugRun();
}
