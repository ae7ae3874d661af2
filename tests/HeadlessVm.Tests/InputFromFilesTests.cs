using System.Management.Automation;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// Values that arrive as text (CSV, JSON, the prompt) mean what they say in any culture: numbers are
/// read invariantly and refused when ambiguous or fractional, an empty cell is "not given", switch
/// columns read yes/no; what the module prints it takes back (CSV and JSON round trips); and per-item
/// parameters take per-item values from delay-bind script blocks.
/// </summary>
[Collection("PowerShell")]
public sealed class InputFromFilesTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static object? P(PSObject o, string name) => o.Properties[name]?.Value;

    private static string BindingError(PsResult r)
    {
        var error = r.Terminating is IContainsErrorRecord t ? t.ErrorRecord : Assert.Single(r.Errors);
        Assert.StartsWith("ParameterArgumentTransformationError", error.FullyQualifiedErrorId);
        return error.Exception.Message;
    }

    [Fact]
    public void Empty_VncDisplay_cells_are_not_given_so_each_row_gets_its_own_display()
    {
        // The input, on an address of its own: no other program holds its VNC ports, so the
        // allocator's picks are :1 and :2 (a display of 0 for both would be the defect).
        var address = FreePorts.PrivateLoopbackAddress();
        var r = _ps.Run($"'Name,VncDisplay,MemoryMB','v1,,128','v2,,128' | ConvertFrom-Csv | New-HeadlessVm -NoStart -ListenAddress {address}");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { 1, 2 }, r.Output.Select(o => (int)P(o, "VncDisplay")!));
        Assert.All(r.Output, o => Assert.Equal(128, P(o, "MemoryMB")));
    }

    [Fact]
    public void Switch_columns_read_yes_no_text_and_anything_else_is_refused_for_that_row()
    {
        var r = _ps.Run("'Name,NoStart,Paused,MemoryMB,Network','s1,true,,32,None','s2,1,,32,None','s3,yes,no,32,None','s4,maybe,,32,None','s5,false,TRUE,32,None','s6,,1,32,None' " +
            "| ConvertFrom-Csv | New-HeadlessVm");
        Assert.Equal(new[] { "s1", "s2", "s3", "s5", "s6" }, r.Output.Select(o => (string)P(o, "Name")!));
        Assert.Equal(new[] { "Stopped", "Stopped", "Stopped", "Paused", "Paused" }, r.Output.Select(o => P(o, "State")!.ToString()));
        Assert.Contains("'maybe' is not a yes/no value", BindingError(r));
        Assert.False(Directory.Exists(_ps.Paths.ForVm("s4").Folder));
        _ps.Ok("Stop-HeadlessVm s5, s6 -Force");
    }

    [Fact]
    public void Empty_text_cells_are_not_given_not_empty_values()
    {
        var r = _ps.Run("'Name,ExtraArgument,DiskPath,Accelerator,Network,IsoPath,ListenAddress,Cpu,PortForward,MacAddress','e1,,,,,,,,,' " +
            "| ConvertFrom-Csv | New-HeadlessVm -MemoryMB 32 -Accelerator Tcg -Paused");
        Assert.Empty(r.Errors);
        var vm = r.Output.Single();
        Assert.Equal("Paused", P(vm, "State")!.ToString());
        Assert.Equal("127.0.0.1", P(vm, "VncAddress"));
        Assert.Equal("User", P(vm, "Network")!.ToString());
        var argv = ProcessInfo.CommandLine((int)P(vm, "ProcessId")!)!;
        Assert.DoesNotContain(string.Empty, argv);
        Assert.DoesNotContain(argv, a => a.StartsWith("file=,", StringComparison.Ordinal));
        _ps.Ok("Stop-HeadlessVm e1 -Force");
    }

    [Fact]
    public void Numbers_are_read_invariantly_and_ambiguous_or_fractional_text_is_refused_with_what_it_would_mean()
    {
        // '1,5' GB: not 15 GiB in any culture.
        Assert.Contains("write 1.5", BindingError(_ps.Run("New-HeadlessVmDisk x.qcow2 -SizeGB '1,5'")));
        Assert.False(File.Exists(Path.Combine(_ps.WorkFolder, "x.qcow2")));
        Assert.Equal(1610612736L, P(_ps.Ok("New-HeadlessVmDisk x.qcow2 -SizeGB '1.5'").Single(), "VirtualSize"));

        // '256.7' MB is not rounded to 257; '16.384' under de-DE is neither 16 nor silently 16384.
        Assert.Contains("it reads as 256.7", BindingError(_ps.Run("New-HeadlessVm m1 -NoStart -MemoryMB '256.7'")));
        var german = BindingError(_ps.Run("[cultureinfo]::CurrentCulture = 'de-DE'; New-HeadlessVm m1 -NoStart -MemoryMB '16.384'"));
        Assert.Contains("ambiguous", german);
        Assert.Contains("16384", german);
        Assert.Contains("de-DE", german);
        // In de-DE too, an unambiguous decimal point is read as one.
        Assert.Equal(1610612736L, P(_ps.Ok("[cultureinfo]::CurrentCulture = 'de-DE'; New-HeadlessVmDisk y.qcow2 -SizeGB '1.5'").Single(), "VirtualSize"));
        Assert.Equal(256, P(_ps.Ok("[cultureinfo]::CurrentCulture = 'de-DE'; New-HeadlessVm m1 -NoStart -MemoryMB ' 256 '").Single(), "MemoryMB"));

        // From CSV and JSON: one error for that row, the others are made.
        var csv = _ps.Run("'Name,MemoryMB','n1,256.7','n2,96','n3,1.000' | ConvertFrom-Csv | New-HeadlessVm -NoStart");
        Assert.Equal(new[] { "m1", "n2" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
        Assert.Equal(2, csv.Errors.Count);
        var json = _ps.Run("'[{\"Name\":\"j1\",\"MemoryMB\":256.7},{\"Name\":\"j2\",\"MemoryMB\":80}]' | ConvertFrom-Json | ForEach-Object { $_ } | New-HeadlessVm -NoStart");
        Assert.Contains("256.7 is not a whole number", Assert.Single(json.Errors).Exception.Message);
        Assert.Equal(80, P(json.Output.Single(), "MemoryMB"));
        _ps.Ok("[cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture");
    }

    [Fact]
    public void A_lab_exported_to_CSV_or_JSON_is_recreated_as_it_was_by_importing_it()
    {
        _ps.Ok("New-HeadlessVmDisk d1.qcow2 -SizeGB 1 | Out-Null; New-HeadlessVmDisk d2.img -SizeGB 1 | Out-Null");
        File.Copy(TestGuest.Kernel, _ps.Work("vmlinuz"));
        File.Copy(TestGuest.Initrd, _ps.Work("initrd"));
        _ps.Ok("New-HeadlessVm a1 -NoStart -MemoryMB 96 -Accelerator Tcg -ProcessorCount 2 -DiskPath d1.qcow2, d2.img -PortForward '2223:22', '0.0.0.0:8080:80' " +
            "-ExtraArgument '-no-hpet', '-rtc', 'base=utc' -KernelPath ./vmlinuz -InitrdPath ./initrd -KernelArgument 'console=ttyS0 quiet' -BootOrder c -MacAddress 52:54:00:12:34:56");
        _ps.Ok("New-HeadlessVm a2 -NoStart -MemoryMB 32 -Network None -Accelerator Tcg -Cpu max -ListenAddress 0.0.0.0");
        // Not VncDisplay: a display the module picked is picked again for the recreated VM (the number may differ
        // when another program took that port meanwhile); VncDisplayPicked says so.
        string[] properties = { "Name", "MemoryMB", "ProcessorCount", "Cpu", "Architecture", "Accelerator", "VncAddress", "VncDisplayPicked", "IsoPath", "DiskPath", "DiskFormat",
            "KernelPath", "InitrdPath", "KernelArgument", "BootOrder", "Network", "PortForward", "MacAddress", "MacAddressGenerated", "ExtraArgument" };
        string Describe() => string.Join("\n", _ps.Ok("Get-HeadlessVm").Select(vm => string.Join("|", properties.Select(p => $"{p}={P(vm, p)}"))));
        var before = Describe();
        Assert.Contains("PortForward=127.0.0.1:2223->22;0.0.0.0:8080->80", before);
        Assert.Contains("DiskFormat=qcow2;raw", before);

        // CSV: the lists print as 'a;b' (not System.String[]) and are read back; the printed forward form is accepted.
        _ps.Ok("Get-HeadlessVm | Export-Csv lab.csv; Get-HeadlessVm | Remove-HeadlessVm");
        Assert.DoesNotContain("System.String[]", File.ReadAllText(Path.Combine(_ps.WorkFolder, "lab.csv")));
        var fromCsv = _ps.Run("Import-Csv lab.csv | New-HeadlessVm -NoStart");
        Assert.Empty(fromCsv.Errors);
        Assert.Equal(before, Describe());

        // JSON, with new names beside the originals (a name per item from a delay-bind script block): the displays the
        // module picked are not asked for again, and a1's MAC, which the user gave, is.
        var fromJson = _ps.Run("Get-HeadlessVm | ConvertTo-Json | ConvertFrom-Json | New-HeadlessVm -Name { \"$($_.Name)-copy\" } -NoStart");
        Assert.Empty(fromJson.Errors);
        Assert.Equal(new[] { "a1", "a1-copy", "a2", "a2-copy" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
        var copy = _ps.Ok("Get-HeadlessVm a1-copy").Single();
        var original = _ps.Ok("Get-HeadlessVm a1").Single();
        Assert.Equal("127.0.0.1:2223->22;0.0.0.0:8080->80", P(copy, "PortForward")!.ToString());
        Assert.Equal("-no-hpet;-rtc;base=utc", P(copy, "ExtraArgument")!.ToString());
        Assert.NotEqual(P(original, "VncDisplay"), P(copy, "VncDisplay"));
        Assert.Equal(true, P(copy, "VncDisplayPicked"));
        Assert.Equal("52:54:00:12:34:56", P(copy, "MacAddress"));
        Assert.Equal(false, P(copy, "MacAddressGenerated"));

        // A display given on the command line, or by a script block, is a request even beside a picked one from the record.
        foreach (var given in new[] { "(Get-HeadlessVm a2).VncDisplay", "{ $_.VncDisplay }" })
        {
            var asked = _ps.Run($"Get-HeadlessVm a2 | ConvertTo-Json | ConvertFrom-Json | New-HeadlessVm -Name a2-asked -VncDisplay {given} -NoStart");
            Assert.StartsWith("VncDisplayInUse,", Assert.Single(asked.Errors).FullyQualifiedErrorId);
        }

        // And a VM recreated from JSON starts.
        var started = _ps.Run("Get-HeadlessVm a2 | ConvertTo-Json | ConvertFrom-Json | New-HeadlessVm -Name a2-run -ListenAddress 127.0.0.1 -Paused");
        Assert.Empty(started.Errors);
        Assert.Equal("Paused", P(started.Output.Single(), "State")!.ToString());
        _ps.Ok("Stop-HeadlessVm a2-run -Force");
    }

    [Fact]
    public void Every_VM_property_but_the_live_facts_binds_back_to_the_New_HeadlessVm_parameter_of_its_name()
    {
        // What a VM is binds back; what it is doing now (and where its record lives) has no parameter to bind to.
        var parameters = _ps.Ok("(Get-Command New-HeadlessVm).Parameters.Values | Where-Object { $_.Attributes.ValueFromPipelineByPropertyName -contains $true } | " +
            "ForEach-Object { $_.Name; $_.Aliases }").Select(o => (string)o.BaseObject).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unbound = typeof(Core.Model.VmInfo).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Select(p => p.Name).Where(p => !parameters.Contains(p)).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "ConsoleUrl", "Created", "ManagedBy", "ProcessId", "State", "StatePath", "Uptime", "VncPort" }, unbound);
    }

    [Fact]
    public void Save_VmScreenshot_takes_a_path_per_VM_from_a_script_block_and_never_the_VMs_own_folder()
    {
        _ps.Ok("'sc1', 'sc2' | ForEach-Object { New-HeadlessVm $_ -MemoryMB 32 -Accelerator Tcg -Network None -Paused } | Out-Null");
        var files = _ps.Ok("Get-HeadlessVm | Save-VmScreenshot -Path { \"$($_.Name).png\" }");
        Assert.Equal(new[] { "sc1.png", "sc2.png" }, files.Select(f => Path.GetFileName(((FileInfo)f.BaseObject).FullName)));
        Assert.All(files, f => Assert.Equal(0x89, File.ReadAllBytes(((FileInfo)f.BaseObject).FullName)[0]));

        // Without -Path, the VM's StatePath does not bind to -Path: the screenshots land in the current location.
        var plain = _ps.Ok("Get-HeadlessVm | Save-VmScreenshot");
        Assert.All(plain, f => Assert.Equal(_ps.WorkFolder, Path.GetDirectoryName(((FileInfo)f.BaseObject).FullName)));
        _ps.Ok("Stop-HeadlessVm sc1, sc2 -Force");
    }
}
