namespace Kestrel.Search;

/// <summary>One term of a search (PRODUCT §15); every term of a query must match. <see cref="Negated"/>: written with a leading <c>!</c>.</summary>
public abstract record SearchTerm(bool Negated);

/// <summary><c>is:open</c> and the like: the issue's status, or <c>regressed</c> (came back and not resolved since).</summary>
public sealed record StatusTerm(string Status, bool Negated) : SearchTerm(Negated);

/// <summary><c>key:value</c>: some event of the issue had the tag; <paramref name="Pattern"/> when the value holds <c>*</c> wildcards.</summary>
public sealed record TagTerm(string Key, string Value, bool Pattern, bool Negated) : SearchTerm(Negated);

/// <summary><c>release:latest</c>: the project's newest release, ordered as the regression rule orders them (<see cref="Issues.VersionOrder"/>).</summary>
public sealed record LatestReleaseTerm(bool Negated) : SearchTerm(Negated);

/// <summary><c>has:key</c>: some event of the issue had the tag at all.</summary>
public sealed record HasTagTerm(string Key, bool Negated) : SearchTerm(Negated);

/// <summary><c>firstSeen:-24h</c> (within the span) or <c>lastSeen:+7d</c> (longer ago than the span).</summary>
public sealed record AgeTerm(IssueTime Field, bool Within, TimeSpan Span, bool Negated) : SearchTerm(Negated);

/// <summary><c>timesSeen:&gt;100</c>, <c>users:&lt;=3</c>: a comparison of one of the issue's counts.</summary>
public sealed record CountTerm(IssueCount Field, string Operator, long Value, bool Negated) : SearchTerm(Negated);

/// <summary>A word or a quoted phrase, matched against title and culprit.</summary>
public sealed record TextTerm(string Text, bool Negated) : SearchTerm(Negated);

public enum IssueTime { FirstSeen, LastSeen }

public enum IssueCount { TimesSeen, Users }

/// <summary>A parsed search: its terms, all of which must match. No terms: every issue.</summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    public static readonly SearchQuery All = new([]);
}
