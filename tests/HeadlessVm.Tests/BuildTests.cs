using System.Diagnostics;
using System.IO.Compression;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Xml.Linq;

namespace HeadlessVm.Tests;

/// <summary>
/// build.ps1, run in an in-process runspace as pwsh would run it: -Task Package lays out
/// out/HeadlessVm/&lt;version&gt;/ and a .nupkg, and the folder imports as a module from $env:PSModulePath.
/// The test passes -NoBuild because the test run has already built the module (and has the assembly
/// loaded): the layout and packaging are what it proves, 'dotnet build' itself is the run's own build.
/// </summary>
[Collection("PowerShell")]
public sealed class BuildTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("hvm-build-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_out, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (List<PSObject> Output, List<ErrorRecord> Errors) RunScript(string script, string location)
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        runspace.SessionStateProxy.Path.SetLocation(location);
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        var output = ps.Invoke().Where(o => o is not null).ToList();
        return (output, ps.Streams.Error.ToList());
    }

    private static string Version => RunScript("(Import-PowerShellDataFile ./HeadlessVm.psd1).ModuleVersion", RepoPaths.Root).Output.Single().ToString();

    private static List<string> ManifestCmdlets() =>
        RunScript("(Import-PowerShellDataFile ./HeadlessVm.psd1).CmdletsToExport", RepoPaths.Root).Output.Select(o => o.ToString()).Order(StringComparer.Ordinal).ToList();

    private string Package()
    {
        var (_, errors) = RunScript($"& ./build.ps1 -Task Package -NoBuild -OutputPath '{_out}'", RepoPaths.Root);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.ToString())));
        return Path.Combine(_out, "HeadlessVm", Version);
    }

    [Fact]
    public void Build_lays_out_a_module_folder_that_imports_from_PSModulePath_with_every_cmdlet_and_its_help()
    {
        var folder = Package();
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[]
        {
            "CliWrap.dll", "HeadlessVm.Core.dll", "HeadlessVm.dll", "HeadlessVm.Format.ps1xml", "HeadlessVm.psd1",
            "en-US/HeadlessVm.dll-Help.xml", "en-US/about_HeadlessVm.help.txt", "en-US/about_HeadlessVm_Hosts.help.txt",
        }.Order(StringComparer.Ordinal), files);

        var manifest = RunScript($"Import-PowerShellDataFile '{folder}/HeadlessVm.psd1'", RepoPaths.Root).Output.Single();
        var table = (System.Collections.Hashtable)manifest.BaseObject;
        Assert.Equal("HeadlessVm.dll", table["RootModule"]);
        Assert.Equal(new object[] { "HeadlessVm.Format.ps1xml" }, (object[])table["FormatsToProcess"]!);

        var saved = Environment.GetEnvironmentVariable("PSModulePath");
        Environment.SetEnvironmentVariable("PSModulePath", Path.Combine(_out));
        try
        {
            var (output, errors) = RunScript("""
                Import-Module HeadlessVm -ErrorAction Stop
                $m = Get-Module HeadlessVm
                [pscustomobject]@{
                    Base     = $m.ModuleBase
                    Cmdlets  = @(Get-Command -Module HeadlessVm | ForEach-Object Name | Sort-Object)
                    Synopsis = (Get-Help New-HeadlessVm -Full).Synopsis
                    About    = (Get-Help about_HeadlessVm | Out-String)
                    Views    = @(Get-FormatData -TypeName HeadlessVm.Core.Model.VmInfo).Count
                }
                """, _out);
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.ToString())));
            var r = output.Single();
            Assert.Equal(folder, r.Properties["Base"].Value.ToString());
            Assert.Equal(ManifestCmdlets(), ((object[])PSObject.AsPSObject(r.Properties["Cmdlets"].Value).BaseObject).Select(o => o.ToString()!).Order(StringComparer.Ordinal).ToList());
            Assert.Equal("Creates a QEMU virtual machine that runs headless, and starts it.", r.Properties["Synopsis"].Value.ToString());
            Assert.Contains("HEADLESSVM_HOME", r.Properties["About"].Value.ToString());
            Assert.Equal(1, (int)r.Properties["Views"].Value);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PSModulePath", saved);
        }
    }

    [Fact]
    public void Package_makes_a_nupkg_that_NuGet_installs_from_a_local_folder_with_the_manifest_at_its_root()
    {
        Package();
        var nupkg = Path.Combine(_out, $"HeadlessVm.{Version}.nupkg");
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("[Content_Types].xml", names);
            Assert.Contains("_rels/.rels", names);
            Assert.Contains("HeadlessVm.psd1", names);
            Assert.Contains("en-US/HeadlessVm.dll-Help.xml", names);
            Assert.DoesNotContain(names, n => n.Contains("System.Management.Automation", StringComparison.Ordinal));

            using var nuspec = zip.GetEntry("HeadlessVm.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Meta(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("HeadlessVm", Meta("id"));
            Assert.Equal(Version, Meta("version"));
            var tags = Meta("tags").Split(' ');
            Assert.Contains("PSModule", tags);
            Assert.Contains("PSCmdlet_New-HeadlessVm", tags);
            Assert.Contains("PSEdition_Core", tags);
        }

        // PSResourceGet reads a local folder repository with NuGet's own package reader; dotnet restore
        // uses the same reader, so a restore from the folder proves the package is one NuGet accepts.
        var work = Directory.CreateDirectory(Path.Combine(_out, "consumer")).FullName;
        File.WriteAllText(Path.Combine(work, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageReference Include="HeadlessVm" Version="{Version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(work, "NuGet.Config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{_out}" /></packageSources></configuration>
            """);
        var packages = Path.Combine(_out, "packages");
        var start = new ProcessStartInfo("dotnet", new[] { "restore", "--packages", packages, "--nologo" })
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
        };
        using var restore = Process.Start(start)!;
        var stdout = restore.StandardOutput.ReadToEnd();
        Assert.True(restore.WaitForExit(120_000), "dotnet restore did not finish");
        Assert.True(restore.ExitCode == 0, stdout);
        var installed = Path.Combine(packages, "headlessvm", Version);
        Assert.True(File.Exists(Path.Combine(installed, "HeadlessVm.psd1")));
        Assert.True(File.Exists(Path.Combine(installed, "HeadlessVm.dll")));
    }
}
