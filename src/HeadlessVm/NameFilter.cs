using System.Management.Automation;

namespace HeadlessVm.Commands;

/// <summary>-Name's patterns against a list of names, without writing anything (it runs on the hosts' worker threads).</summary>
public static class NameFilter
{
    /// <summary>
    /// The names <paramref name="patterns"/> match (wildcards expanded, plain names exactly), ordered as
    /// <paramref name="all"/>, each once; all when null. <c>Found</c> holds the plain names that matched.
    /// </summary>
    public static (IReadOnlyList<string> Matched, IReadOnlySet<string> Found) Match(IReadOnlyList<string> all, IReadOnlyList<string>? patterns)
    {
        if (patterns is null)
        {
            return (all, new HashSet<string>());
        }

        var wildcards = patterns.Where(WildcardPattern.ContainsWildcardCharacters).Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToArray();
        var plain = Plain(patterns).ToHashSet(StringComparer.Ordinal);
        var matched = all.Where(n => plain.Contains(n) || wildcards.Any(w => w.IsMatch(n))).ToArray();
        return (matched, matched.Where(plain.Contains).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The names among <paramref name="patterns"/> without wildcards.</summary>
    public static IEnumerable<string> Plain(IReadOnlyList<string>? patterns) =>
        patterns?.Where(p => !WildcardPattern.ContainsWildcardCharacters(p)).Distinct() ?? Enumerable.Empty<string>();
}
