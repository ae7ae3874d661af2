using System.Management.Automation;
using System.Management.Automation.Language;

namespace HeadlessVm.Tests;

/// <summary>
/// Get-Help, as a user at the prompt runs it, for every cmdlet the module exports: the MAML compiled
/// from docs/en-US must give each a synopsis, a description, a description for every parameter and at
/// least two examples whose code parses.
/// </summary>
[Collection("PowerShell")]
public sealed class HelpTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private const string HelpScript = """
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'
        foreach ($name in (Get-Module HeadlessVm).ExportedCmdlets.Keys | Sort-Object) {
            $help = Get-Help $name -Full
            $command = Get-Command $name
            $parameters = foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object) {
                $ph = Get-Help $name -Parameter $p -ErrorAction SilentlyContinue
                [pscustomobject]@{ Name = $p; Description = (@($ph.description | ForEach-Object Text) -join "`n") }
            }
            [pscustomobject]@{
                Name        = $name
                Synopsis    = "$($help.Synopsis)".Trim()
                Description = (@($help.description | ForEach-Object Text) -join "`n").Trim()
                Examples    = @($help.examples.example | ForEach-Object { "$($_.code)" })
                Parameters  = @($parameters)
                Syntax      = ($command | Get-Command -Syntax | Out-String).Trim()
            }
        }
        """;

    private static string S(PSObject o, string property) => o.Properties[property].Value?.ToString() ?? string.Empty;

    private static IEnumerable<object> Items(PSObject o, string property) => o.Properties[property].Value switch
    {
        PSObject { BaseObject: object[] a } => a,
        object[] a => a,
        null => Array.Empty<object>(),
        var single => new[] { single },
    };

    [Fact]
    public void Every_exported_cmdlet_has_a_synopsis_a_description_and_two_examples_that_parse()
    {
        var helps = _ps.Ok(HelpScript);
        Assert.True(helps.Count >= 8, $"expected every exported cmdlet, got {helps.Count}");

        var problems = new List<string>();
        foreach (var help in helps)
        {
            var name = S(help, "Name");
            var synopsis = S(help, "Synopsis");
            // With no MAML, Get-Help makes up a synopsis from the syntax.
            if (synopsis.Length == 0 || synopsis.StartsWith(name + " ", StringComparison.Ordinal) || synopsis.Contains("{{"))
            {
                problems.Add($"{name}: no synopsis ('{synopsis}')");
            }

            var description = S(help, "Description");
            if (description.Length < 20 || description.Contains("{{"))
            {
                problems.Add($"{name}: no description");
            }

            var examples = Items(help, "Examples").Select(e => e.ToString()!).ToList();
            if (examples.Count < 2)
            {
                problems.Add($"{name}: {examples.Count} examples, want at least 2");
            }

            foreach (var (code, i) in examples.Select((c, i) => (c, i + 1)))
            {
                Parser.ParseInput(code, out _, out var errors);
                if (code.Contains("{{") || code.Trim().Length == 0 || errors.Length > 0)
                {
                    problems.Add($"{name}: example {i} does not parse: {string.Join("; ", errors.Select(e => e.Message))}\n{code}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_parameter_of_every_exported_cmdlet_has_a_description()
    {
        var helps = _ps.Ok(HelpScript);
        var problems = new List<string>();
        foreach (var help in helps)
        {
            var name = S(help, "Name");
            foreach (var p in Items(help, "Parameters").Select(PSObject.AsPSObject))
            {
                var text = S(p, "Description");
                if (text.Trim().Length == 0 || text.Contains("{{"))
                {
                    problems.Add($"{name} -{p.Properties["Name"].Value}: no description");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Get_Help_Full_shows_the_compiled_page_and_about_HeadlessVm_is_a_topic()
    {
        var full = string.Join("\n", _ps.Ok("Get-Help New-HeadlessVm -Full | Out-String -Width 120").Select(o => o.ToString()));
        Assert.Contains("SYNOPSIS", full);
        Assert.Contains("-IsoPath <String>", full);
        Assert.Contains("Example 1", full);
        Assert.DoesNotContain("{{", full);

        var about = string.Join("\n", _ps.Ok("Get-Help about_HeadlessVm | Out-String").Select(o => o.ToString()));
        Assert.Contains("about_HeadlessVm", about);
        Assert.Contains("HEADLESSVM_HOME", about);

        // The root manifest's ModuleBase is the repository root; the packaged module's is its version folder.
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "en-US", "HeadlessVm.dll-Help.xml")));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "artifacts", "module", "en-US", "HeadlessVm.dll-Help.xml")));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "artifacts", "module", "en-US", "about_HeadlessVm.help.txt")));
    }

    [Fact]
    public void Every_exported_cmdlet_has_a_page_in_docs_en_US()
    {
        var names = _ps.Ok("(Get-Module HeadlessVm).ExportedCmdlets.Keys").Select(o => o.ToString()).ToList();
        var missing = names.Where(n => !File.Exists(Path.Combine(RepoPaths.Root, "docs", "en-US", n + ".md"))).ToList();
        Assert.True(missing.Count == 0, "no page in docs/en-US for: " + string.Join(", ", missing));
    }
}
