using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;

namespace HeadlessVm.Tests;

/// <summary>The root manifest is complete, and exports exactly the cmdlets the assembly defines.</summary>
[Collection("PowerShell")]
public sealed class ManifestTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private Hashtable Data => (Hashtable)_ps.Ok($"Import-PowerShellDataFile '{RepoPaths.Manifest}'").Single().BaseObject;

    private static string[] Strings(object? value) => value switch
    {
        null => Array.Empty<string>(),
        string s => new[] { s },
        IEnumerable e => e.Cast<object>().Select(o => o.ToString()!).ToArray(),
        _ => new[] { value.ToString()! },
    };

    /// <summary>Every public cmdlet class in the built module assembly, as Verb-Noun.</summary>
    private static List<string> AssemblyCmdlets()
    {
        var assembly = Assembly.LoadFrom(Path.Combine(RepoPaths.Root, "artifacts", "module", "HeadlessVm.dll"));
        return assembly.GetExportedTypes()
            .Where(t => !t.IsAbstract)
            .Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .Where(a => a is not null)
            .Select(a => $"{a!.VerbName}-{a.NounName}")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [Fact]
    public void Test_ModuleManifest_accepts_the_root_manifest()
    {
        var r = _ps.Run($"Test-ModuleManifest -Path '{RepoPaths.Manifest}'");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var info = (PSModuleInfo)r.Output.Single().BaseObject;
        Assert.Equal("HeadlessVm", info.Name);
    }

    [Fact]
    public void CmdletsToExport_is_sorted_and_equals_the_cmdlets_the_assembly_defines()
    {
        var exported = Strings(Data["CmdletsToExport"]);
        Assert.Equal(exported.Order(StringComparer.OrdinalIgnoreCase), exported);
        Assert.Equal(AssemblyCmdlets(), exported.Order(StringComparer.Ordinal));

        var loaded = _ps.Ok("(Get-Module HeadlessVm).ExportedCmdlets.Keys").Select(o => o.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(AssemblyCmdlets(), loaded);
        Assert.Empty(_ps.Ok("$m = Get-Module HeadlessVm; $m.ExportedFunctions.Keys; $m.ExportedAliases.Keys; $m.ExportedVariables.Keys"));
    }

    [Fact]
    public void The_manifest_declares_edition_version_exports_formats_and_gallery_metadata()
    {
        var data = Data;
        Assert.Equal(new[] { "Core" }, Strings(data["CompatiblePSEditions"]));
        Assert.Equal("7.4", data["PowerShellVersion"]);
        Assert.Empty(Strings(data["FunctionsToExport"]));
        Assert.Empty(Strings(data["VariablesToExport"]));
        Assert.Empty(Strings(data["AliasesToExport"]));
        Assert.True(Guid.TryParse((string)data["GUID"]!, out _));
        Assert.False(string.IsNullOrWhiteSpace((string?)data["Author"]));
        Assert.True(((string)data["Description"]!).Length > 40);

        // The module version is the assembly version the build stamps (Directory.Build.props).
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props"));
        Assert.Equal(props.Descendants("Version").Single().Value, data["ModuleVersion"]);

        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, (string)data["RootModule"]!)));
        var formats = Strings(data["FormatsToProcess"]);
        Assert.Single(formats);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, formats[0])));

        var psData = (Hashtable)((Hashtable)data["PrivateData"]!)["PSData"]!;
        var tags = Strings(psData["Tags"]);
        foreach (var tag in new[] { "Linux", "PSEdition_Core", "QEMU", "noVNC" })
        {
            Assert.Contains(tag, tags);
        }

        Assert.All(tags, t => Assert.DoesNotContain(' ', t));
        foreach (var key in new[] { "ProjectUri", "LicenseUri" })
        {
            Assert.True(Uri.TryCreate((string?)psData[key], UriKind.Absolute, out var uri) && uri.Scheme == "https", $"{key}: {psData[key]}");
        }

        Assert.True(((string?)psData["ReleaseNotes"])?.Length > 10);
    }
}
