using System.Text.RegularExpressions;

namespace HeadlessVm.Core.Console;

/// <summary>
/// What the noVNC page needs from a web root: vnc.html, the scripts and style sheets it names, and every
/// module those scripts import, followed file by file (Debian's noVNC 1.3: vnc.html loads
/// app/error-handler.js and the module app/ui.js, which imports core/rfb.js and so on down to
/// vendor/pako). websockify serves the folder only when a browser asks, so a folder that lacks one of
/// these would give a console that "runs" and shows "noVNC encountered an error".
/// </summary>
public static partial class NoVncClient
{
    /// <summary>The page the console URLs open.</summary>
    public const string Page = "vnc.html";

    /// <summary>How many files are followed at most (Debian's client has about 60).</summary>
    private const int MostFiles = 1000;

    // <script src="..."> and <link rel="stylesheet" href="...">, in either attribute order.
    [GeneratedRegex("""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSource();

    [GeneratedRegex("""<link\b(?=[^>]*\brel\s*=\s*["']?stylesheet)[^>]*\bhref\s*=\s*["']([^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex StyleSheet();

    // Static imports and re-exports with a relative specifier: import x from './a.js', import './b.js',
    // export { y } from '../c.js' (over line breaks). Bare specifiers cannot load in a browser without an import map.
    [GeneratedRegex("""\b(?:import|export)\s*(?:[\w*$\s{},]*?\bfrom\s*)?["'](\.{1,2}/[^"']+)["']""")]
    private static partial Regex ModuleImport();

    /// <summary>
    /// The files (relative to <paramref name="root"/>) that the page loads and the folder lacks, in the
    /// order they are met; empty when the client is complete. Lacking vnc.html itself, that is the one named.
    /// </summary>
    public static IReadOnlyList<string> MissingFiles(string root)
    {
        var page = Path.Combine(root, Page);
        if (!File.Exists(page))
        {
            return new[] { Page };
        }

        var html = File.ReadAllText(page);
        var pending = new Queue<string>(ScriptSource().Matches(html).Concat(StyleSheet().Matches(html))
            .Select(m => m.Groups[1].Value)
            .Where(IsLocal)
            .Select(src => Normalise(root, root, src)));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        while (pending.Count > 0 && seen.Count < MostFiles)
        {
            var file = pending.Dequeue();
            if (!seen.Add(file))
            {
                continue;
            }

            if (!File.Exists(file))
            {
                missing.Add(Path.GetRelativePath(root, file));
                continue;
            }

            if (file.EndsWith(".js", StringComparison.Ordinal) || file.EndsWith(".mjs", StringComparison.Ordinal))
            {
                var folder = Path.GetDirectoryName(file)!;
                foreach (Match import in ModuleImport().Matches(File.ReadAllText(file)))
                {
                    pending.Enqueue(Normalise(root, folder, import.Groups[1].Value));
                }
            }
        }

        return missing;
    }

    /// <summary>A path of the page's own (not http://, not //host, not data:).</summary>
    private static bool IsLocal(string src) => !src.Contains("://", StringComparison.Ordinal) && !src.StartsWith("//", StringComparison.Ordinal)
        && !src.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>A reference as a full path: '/x' from the web root, else from <paramref name="folder"/>; query and fragment dropped.</summary>
    private static string Normalise(string root, string folder, string reference)
    {
        var path = reference.Split('?', '#')[0];
        return Path.GetFullPath(path.StartsWith('/') ? Path.Combine(root, path.TrimStart('/')) : Path.Combine(folder, path));
    }
}
