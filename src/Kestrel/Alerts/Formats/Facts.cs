namespace Kestrel.Alerts.Formats;

/// <summary>The name–value lines every chat format shows under its headline, raw (each format escapes them).</summary>
public static class Facts
{
    public static List<(string Name, string Value)> Of(AlertMessage m)
    {
        var facts = new List<(string, string)> { ("Project", m.Project.Name) };
        if (m.Event?.Environment is { } env) facts.Add(("Environment", env));
        if (m.Event?.Release is { } release) facts.Add(("Release", release));
        if (m.Issue is { } i)
        {
            facts.Add(("Level", i.Level));
            facts.Add(("Events", i.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (i.UsersAffected is > 0) facts.Add(("Users", i.UsersAffected.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (i.Culprit.Length > 0) facts.Add(("Culprit", i.Culprit));
        }
        if (m.RuleName is { } rule) facts.Add(("Rule", rule));
        return facts;
    }

    public static string LinkTitle(AlertMessage m) => m.Trigger == "digest" ? "Open the issue list" : "Open the issue";
}
