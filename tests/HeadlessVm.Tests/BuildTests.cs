using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeadlessVm.Tests;

/// <summary>
/// build.ps1 run as a user runs it, <c>pwsh -NoProfile -File build.ps1</c> in its own process, and what it
/// makes used from new pwsh processes: the module folder imported by name from $env:PSModulePath, the
/// .nupkg installed with PSResourceGet from a local folder repository. Each test passes -NoBuild because
/// the test run has already built the module: the layout and packaging are what it proves. Every child
/// pwsh gets a temporary HOME, so that nothing lands in the user's module folders or PSResourceGet's
/// repository list (both live under ~/.local/share).
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

    private static string Version { get; } =
        Regex.Match(File.ReadAllText(RepoPaths.Manifest), @"(?m)^\s*ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;

    private string Package()
    {
        // PSResourceGet writes its default settings under HOME on first use: a temporary one.
        var r = Pwsh.Run(
            ["-File", Path.Combine(RepoPaths.Root, "build.ps1"), "-Task", "Package", "-NoBuild", "-OutputPath", _out],
            environment: FreshHome(out _));
        Assert.True(r.ExitCode == 0, $"build.ps1 exited with {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Equal(string.Empty, r.Stderr);
        return Path.Combine(_out, "HeadlessVm", Version);
    }

    /// <summary>HOME set to a new folder under the test's output, and the XDG folders that would override it unset.</summary>
    private (string Name, string? Value)[] FreshHome(out string home)
    {
        home = Directory.CreateDirectory(Path.Combine(_out, "home-" + Guid.NewGuid().ToString("n")[..8])).FullName;
        return [("HOME", home), ("XDG_DATA_HOME", null), ("XDG_CONFIG_HOME", null), ("XDG_CACHE_HOME", null)];
    }

    /// <summary>A child pwsh in a fresh HOME, whose module path is only its own.</summary>
    private (Pwsh.Result Result, string Home) RunInFreshHome(string script, string stateRoot, params (string Name, string? Value)[] env)
    {
        var environment = new List<(string Name, string? Value)>(FreshHome(out var home))
        {
            ("PSModulePath", null),
            ("HEADLESSVM_HOME", stateRoot),
        };
        environment.AddRange(env);
        return (Pwsh.Run(["-Command", "$ErrorActionPreference = 'Stop'\n" + script], _out, environment), home);
    }

    /// <summary>Every file under the user's module folder and PSResourceGet's settings, with its size and time.</summary>
    private static List<string> UserPowerShellFiles()
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return new[] { Path.Combine(data, "powershell", "Modules"), Path.Combine(data, "PSResourceGet") }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Select(f => new FileInfo(f))
            .Select(f => $"{f.FullName} {f.Length} {f.LastWriteTimeUtc:O}")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [Fact]
    public void Build_lays_out_a_module_folder_that_a_new_pwsh_imports_by_name_with_every_cmdlet_its_help_and_views()
    {
        var userFilesBefore = UserPowerShellFiles();
        var folder = Package();
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToList();
        // The module ships no System.Management.Automation.dll: pwsh brings its own.
        Assert.Equal(new[]
        {
            "CliWrap.dll", "HeadlessVm.Core.dll", "HeadlessVm.dll", "HeadlessVm.Format.ps1xml", "HeadlessVm.psd1",
            "en-US/HeadlessVm.dll-Help.xml", "en-US/about_HeadlessVm.help.txt", "en-US/about_HeadlessVm_Hosts.help.txt",
        }.Order(StringComparer.Ordinal), files);

        var store = Directory.CreateDirectory(Path.Combine(_out, "store")).FullName;
        var (r, _) = RunInFreshHome("""
            $env:PSModulePath = $env:HVM_MODULES + [IO.Path]::PathSeparator + $env:PSModulePath
            Import-Module HeadlessVm
            $m = Get-Module HeadlessVm
            $manifest = Import-PowerShellDataFile (Join-Path $m.ModuleBase 'HeadlessVm.psd1')
            # Each type the cmdlets emit from this module's assemblies, with the views the format file gives it.
            $types = Get-Command -Module HeadlessVm | ForEach-Object OutputType | ForEach-Object Type |
                Where-Object { $_ -and $_.Assembly.Location.StartsWith($m.ModuleBase) } | Sort-Object FullName -Unique
            [pscustomobject]@{
                Base       = $m.ModuleBase
                RootModule = $manifest.RootModule
                Formats    = @($manifest.FormatsToProcess)
                Manifest   = @($manifest.CmdletsToExport | Sort-Object)
                Cmdlets    = @(Get-Command -Module HeadlessVm | ForEach-Object Name | Sort-Object)
                Synopsis   = (Get-Help New-HeadlessVm -Full).Synopsis
                About      = (Get-Help about_HeadlessVm | Out-String)
                Views      = @($types | ForEach-Object { [pscustomobject]@{ Type = $_.FullName; Views = @((Get-FormatData -TypeName $_.FullName).FormatViewDefinition.Control | ForEach-Object { $_.GetType().Name }) } })
                Vms        = @(Get-HeadlessVm).Count
            } | ConvertTo-Json -Depth 4
            """, store, ("HVM_MODULES", _out));
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal(string.Empty, r.Stderr);

        using var json = JsonDocument.Parse(r.Stdout);
        var o = json.RootElement;
        List<string> Strings(string name) => o.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(folder, o.GetProperty("Base").GetString());
        Assert.Equal("HeadlessVm.dll", o.GetProperty("RootModule").GetString());
        Assert.Equal(new[] { "HeadlessVm.Format.ps1xml" }, Strings("Formats"));
        Assert.NotEmpty(Strings("Manifest"));
        Assert.Equal(Strings("Manifest"), Strings("Cmdlets"));
        Assert.Equal("Creates a QEMU virtual machine that runs headless, and starts it.", o.GetProperty("Synopsis").GetString());
        Assert.Contains("HEADLESSVM_HOME", o.GetProperty("About").GetString());
        Assert.Equal(0, o.GetProperty("Vms").GetInt32());

        // Every record the cmdlets emit (the VM, bridge, disk and host records among them) has a table and a list view.
        var views = o.GetProperty("Views").EnumerateArray().ToList();
        var typeNames = views.Select(v => v.GetProperty("Type").GetString()!).ToList();
        Assert.Superset(new HashSet<string> { "HeadlessVm.Core.Model.VmInfo", "HeadlessVm.Core.Model.VncBridge", "HeadlessVm.Core.Model.VmDisk",
            "HeadlessVm.Core.Model.HostInfo", "HeadlessVm.Core.Model.HostCheck" }, typeNames.ToHashSet());
        Assert.All(views, v => Assert.Equal(
            new[] { "ListControl", "TableControl" },
            v.GetProperty("Views").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)));
        Assert.Equal(userFilesBefore, UserPowerShellFiles());
    }

    [Fact]
    public void Package_makes_a_nupkg_that_PSResourceGet_installs_from_a_local_repository_into_a_new_shell_that_imports_it_by_name()
    {
        var userFilesBefore = UserPowerShellFiles();
        Package();
        var nupkg = Path.Combine(_out, $"HeadlessVm.{Version}.nupkg");
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("HeadlessVm.psd1", names);
            Assert.Contains("HeadlessVm.dll", names);
            Assert.Contains("en-US/HeadlessVm.dll-Help.xml", names);
            Assert.DoesNotContain(names, n => n.Contains("System.Management.Automation", StringComparison.Ordinal));

            using var nuspec = zip.GetEntry("HeadlessVm.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Meta(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("HeadlessVm", Meta("id"));
            Assert.Equal(Version, Meta("version"));
            var tags = Meta("tags").Split(' ');
            Assert.Contains("PSModule", tags);
            Assert.Contains("PSEdition_Core", tags);
        }

        // A new shell with an empty HOME: the repository list and CurrentUser scope are that HOME's.
        var repository = Directory.CreateDirectory(Path.Combine(_out, "repository")).FullName;
        File.Copy(nupkg, Path.Combine(repository, Path.GetFileName(nupkg)));
        var store = Directory.CreateDirectory(Path.Combine(_out, "store")).FullName;
        var (r, home) = RunInFreshHome("""
            Register-PSResourceRepository -Name HeadlessVmLocal -Uri $env:HVM_REPOSITORY -Trusted
            Install-PSResource -Name HeadlessVm -Repository HeadlessVmLocal -Scope CurrentUser -TrustRepository
            Import-Module HeadlessVm
            [pscustomobject]@{
                Base = (Get-Module HeadlessVm).ModuleBase
                Repositories = @(Get-PSResourceRepository | ForEach-Object Name)
                Vms = @(Get-HeadlessVm).Count
            } | ConvertTo-Json
            """, store, ("HVM_REPOSITORY", repository));
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal(string.Empty, r.Stderr);

        using var json = JsonDocument.Parse(r.Stdout);
        var installed = Path.Combine(home, ".local", "share", "powershell", "Modules", "HeadlessVm", Version);
        Assert.Equal(installed, json.RootElement.GetProperty("Base").GetString());
        Assert.True(File.Exists(Path.Combine(installed, "HeadlessVm.dll")));
        Assert.Contains("HeadlessVmLocal", json.RootElement.GetProperty("Repositories").EnumerateArray().Select(e => e.GetString()));
        Assert.True(File.Exists(Path.Combine(home, ".local", "share", "PSResourceGet", "PSResourceRepository.xml")));
        Assert.Equal(0, json.RootElement.GetProperty("Vms").GetInt32());
        Assert.Empty(Directory.EnumerateFileSystemEntries(store));

        // Nothing of the user's changed: no module installed, no repository registered.
        Assert.Equal(userFilesBefore, UserPowerShellFiles());
    }
}
