using Dapper;
using Kestrel.Platform;

namespace Kestrel.Search;

/// <summary>
/// A parsed search as conditions on <c>issues i</c>, on either engine. The statement is assembled from one fixed
/// fragment per term kind, because a search has any number of terms; every value a user wrote travels
/// as a parameter, never as SQL text. Tag terms read <c>issue_tags</c> through its (project, key, value)
/// index, so a rare value costs a few index reads however many issues the project has.
/// </summary>
public static class SearchSql
{
    /// <summary>Sort names of the REST API and MCP, and the column each orders by (newest or largest first).</summary>
    public static readonly IReadOnlyDictionary<string, string> Sorts = new Dictionary<string, string>
    {
        ["lastSeen"] = "i.last_seen",
        ["firstSeen"] = "i.first_seen",
        ["eventCount"] = "i.event_count",
        ["users"] = "i.users_affected",
    };

    public const string SortProblem = "sort must be lastSeen, firstSeen, eventCount or users.";

    /// <summary>The sort key of an issue row, for its cursor.</summary>
    public static long SortKey(string column, Issues.IssueRow row) => column switch
    {
        "i.first_seen" => row.FirstSeen,
        "i.event_count" => row.EventCount,
        "i.users_affected" => row.UsersAffected,
        _ => row.LastSeen,
    };

    /// <summary>" AND …" for every term (empty for none); adds the terms' values to <paramref name="parameters"/>, which must hold @projectId.</summary>
    /// <param name="engine">the dialect: text and wildcard terms ignore ASCII case on both engines (<see cref="Like"/>)</param>
    /// <param name="newestRelease">the project's newest release (<see cref="Issues.ReleaseOrder.Newest"/>), or null when it has none;
    /// called only for a query with <c>release:latest</c></param>
    public static string Conditions(DatabaseEngine engine, SearchQuery query, DynamicParameters parameters, DateTimeOffset now, Func<string?> newestRelease)
    {
        var like = Like(engine);
        var sql = new System.Text.StringBuilder();
        for (var n = 0; n < query.Terms.Count; n++)
        {
            var term = query.Terms[n];
            var name = "@search" + n;
            var condition = term switch
            {
                StatusTerm { Status: "regressed" } => "(i.status = 'open' AND i.regressed_at IS NOT NULL)",
                StatusTerm s => Bind(parameters, name, s.Status, "i.status = {0}"),
                TagTerm { Pattern: false } t => Bind(parameters, name, t.Key, t.Value, TagIn),
                TagTerm t => Bind(parameters, name, t.Key, Pattern(t.Value),
                    "i.id IN (SELECT t.issue_id FROM issue_tags t WHERE t.project_id = @projectId AND t.key = {0} AND t.value " + like + " {1} ESCAPE '\\')"),
                // The newest release as the regression rule orders them, so "latest" and "next release" agree;
                // a project without releases has no issue in its latest one.
                LatestReleaseTerm => newestRelease() is { } newest ? Bind(parameters, name, "release", newest, TagIn) : "(1 = 0)",
                HasTagTerm h => Bind(parameters, name, h.Key, "EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = i.id AND t.key = {0})"),
                AgeTerm a => Bind(parameters, name, (now - a.Span).ToUnixTimeMilliseconds(),
                    (a.Field == IssueTime.FirstSeen ? "i.first_seen" : "i.last_seen") + (a.Within ? " >= {0}" : " < {0}")),
                CountTerm c => Bind(parameters, name, c.Value,
                    (c.Field == IssueCount.Users ? "i.users_affected " : "i.event_count ") + c.Operator + " {0}"),
                TextTerm x => Bind(parameters, name, "%" + EscapeLike(x.Text) + "%", $"(i.title {like} {{0}} ESCAPE '\\' OR i.culprit {like} {{0}} ESCAPE '\\')"),
                _ => throw new ArgumentOutOfRangeException(nameof(query), term, "A search term without SQL."),
            };
            sql.Append(term.Negated ? " AND NOT " : " AND ").Append(condition);
        }
        return sql.ToString();
    }

    private const string TagIn = "i.id IN (SELECT t.issue_id FROM issue_tags t WHERE t.project_id = @projectId AND t.key = {0} AND t.value = {1})";

    private static string Bind(DynamicParameters parameters, string name, object value, string format)
    {
        parameters.Add(name, value);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, name);
    }

    private static string Bind(DynamicParameters parameters, string name, object first, object second, string format)
    {
        parameters.Add(name + "a", first);
        parameters.Add(name + "b", second);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, name + "a", name + "b");
    }

    /// <summary>
    /// The operator that matches a pattern ignoring ASCII case, as search promises: SQLite's LIKE does so, PostgreSQL's
    /// LIKE does not, its ILIKE does (in a database of the C locale, which docs/scaling.md recommends, it folds ASCII letters
    /// only, as SQLite does).
    /// </summary>
    public static string Like(DatabaseEngine engine) => engine == DatabaseEngine.Postgres ? "ILIKE" : "LIKE";

    /// <summary>A value with * wildcards as a LIKE pattern: * is any text, % _ and \ are themselves.</summary>
    private static string Pattern(string value) => EscapeLike(value).Replace('*', '%');

    public static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
