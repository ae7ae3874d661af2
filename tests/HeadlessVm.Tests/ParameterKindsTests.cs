using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// Kinds of parameter, swept over every cmdlet the module exports: every numeric parameter reads text invariantly
/// (no culture, no rounding, no digit groups), every parameter that naturally differs per piped item takes a
/// delay-bind script block, and a ';' in a path that names an existing file is part of the name.
/// </summary>
[Collection("PowerShell")]
public sealed class ParameterKindsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static string TransformationError(PsResult r, string what)
    {
        var error = r.Terminating is IContainsErrorRecord t ? t.ErrorRecord : r.Errors.FirstOrDefault();
        Assert.True(error is not null, $"{what}: no error");
        Assert.True(error!.FullyQualifiedErrorId.StartsWith("ParameterArgumentTransformationError", StringComparison.Ordinal),
            $"{what}: {error.FullyQualifiedErrorId}: {error.Exception.Message}");
        return error.Exception.Message;
    }

    [Fact]
    public void Every_numeric_parameter_of_every_cmdlet_refuses_grouped_fractional_or_culture_dependent_text()
    {
        // Found by type, so a numeric parameter added later is swept too.
        var numeric = _ps.Ok("$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters; " +
            "Get-Command -Module HeadlessVm | ForEach-Object { $c = $_; $c.Parameters.Values | " +
            "Where-Object { $_.Name -notin $common -and ([Nullable]::GetUnderlyingType($_.ParameterType) ?? $_.ParameterType) -in [int], [long], [double], [uint32], [int16], [decimal], [single] } | " +
            "ForEach-Object { '{0} {1} {2}' -f $c.Name, $_.Name, (([Nullable]::GetUnderlyingType($_.ParameterType) ?? $_.ParameterType) -eq [double]) } }")
            .Select(o => ((string)o.BaseObject).Split(' ')).ToList();
        Assert.Contains(numeric, p => p[0] == "Set-HeadlessVm" && p[1] == "MemoryMB");
        Assert.Contains(numeric, p => p[0] == "Start-VncBridge" && p[1] == "WebPort");
        Assert.True(numeric.Count >= 12, string.Join("; ", numeric.Select(p => p[0] + " -" + p[1])));

        foreach (var (command, parameter, fraction) in numeric.Select(p => (p[0], p[1], p[2] == "True")))
        {
            var what = $"{command} -{parameter}";
            // Parameter binding refuses the text before the command runs or asks for a mandatory value: no VM is touched.
            Assert.Contains("',' is neither", TransformationError(_ps.Run($"{command} -{parameter} '1,024'"), what + " '1,024'"));
            var german = TransformationError(_ps.Run($"[cultureinfo]::CurrentCulture = 'de-DE'; {command} -{parameter} '16.384'"), what + " '16.384' in de-DE");
            Assert.Contains("ambiguous", german);
            if (!fraction)
            {
                Assert.Contains("it reads as 2.6", TransformationError(_ps.Run($"{command} -{parameter} '2.6'"), what + " '2.6'"));
            }
        }

        _ps.Ok("[cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture");
    }

    [Fact]
    public void Set_HeadlessVm_takes_whole_numbers_from_text_and_changes_nothing_for_a_refused_one()
    {
        _ps.Ok("New-HeadlessVm q1 -NoStart -MemoryMB 96 | Out-Null");
        Assert.Contains("it reads as 256.7", TransformationError(_ps.Run("Set-HeadlessVm q1 -MemoryMB '256.7'"), "256.7"));
        Assert.Contains("16384", TransformationError(_ps.Run("[cultureinfo]::CurrentCulture = 'de-DE'; Set-HeadlessVm q1 -MemoryMB '16.384'"), "16.384"));
        Assert.Equal(96, _ps.Ok("[cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture; (Get-HeadlessVm q1).MemoryMB").Single().BaseObject);
        var changed = _ps.Ok("Set-HeadlessVm q1 -MemoryMB ' 256 ' -ProcessorCount '2' -PassThru").Single();
        Assert.Equal(256, changed.Properties["MemoryMB"].Value);
        Assert.Equal(2, changed.Properties["ProcessorCount"].Value);
    }

    [Fact]
    public void Every_parameter_that_names_a_new_thing_per_item_binds_by_property_name_for_delay_bind_script_blocks()
    {
        // New names, disk folders and paths, snapshot names and descriptions differ per piped item; each binds by property
        // name so that pwsh runs a script block per item instead of taking its text. (Get- cmdlets' filters are not per item.)
        var perItem = _ps.Ok("Get-Command -Module HeadlessVm | Where-Object Verb -ne Get | ForEach-Object { $c = $_; $c.Parameters.Values | " +
            "Where-Object { $_.Name -in 'NewName', 'DiskFolder', 'Path', 'SnapshotName', 'Description' -and $_.ParameterType -in [string], [string[]] } | " +
            "ForEach-Object { '{0} -{1} {2}' -f $c.Name, $_.Name, ($_.Attributes.ValueFromPipelineByPropertyName -contains $true) } }")
            .Select(o => (string)o.BaseObject).ToList();
        Assert.Contains("Copy-HeadlessVm -NewName True", perItem);
        Assert.Contains("Copy-HeadlessVm -DiskFolder True", perItem);
        Assert.Contains("Rename-HeadlessVm -NewName True", perItem);
        Assert.Contains("Set-HeadlessVm -NewName True", perItem);
        Assert.DoesNotContain(perItem, p => p.EndsWith(" False", StringComparison.Ordinal));
    }

    [Fact]
    public void Copy_and_Rename_take_a_new_name_and_a_disk_folder_per_piped_VM_from_script_blocks()
    {
        _ps.Ok("'a', 'b' | ForEach-Object { New-HeadlessVmDisk \"$_.qcow2\" -SizeGB 0.01 | Out-Null; New-Item -ItemType Directory \"disks-$_\" | Out-Null; " +
            "New-HeadlessVm $_ -NoStart -MemoryMB 64 -DiskPath \"$_.qcow2\" } | Out-Null");
        var linked = _ps.Run("Get-HeadlessVm a, b | Copy-HeadlessVm -NewName { \"$($_.Name)-k\" } -Linked -PassThru");
        Assert.Empty(linked.Errors);
        Assert.Equal(new[] { "a-k", "b-k" }, linked.Output.Select(o => (string)o.Properties["Name"].Value!));

        var full = _ps.Run("Get-HeadlessVm a, b | Copy-HeadlessVm -NewName { \"$($_.Name)-f\" } -DiskFolder { \"disks-$($_.Name)\" } -PassThru");
        Assert.Empty(full.Errors);
        Assert.Equal(new[] { _ps.Work("disks-a/a-f-a.qcow2"), _ps.Work("disks-b/b-f-b.qcow2") },
            full.Output.Select(o => ((IEnumerable<string>)o.Properties["DiskPath"].Value!).Single()));

        var renamed = _ps.Run("Get-HeadlessVm a-k, b-k | Rename-HeadlessVm -NewName { $_.Name -replace '-k$', '-r' } -PassThru");
        Assert.Empty(renamed.Errors);
        Assert.Equal(new[] { "a-f", "a-r", "b-f", "b-r" }, _ps.Ok("(Get-HeadlessVm a-*, b-*).Name").Select(o => (string)o.BaseObject).Order(StringComparer.Ordinal));
        _ps.Ok("Get-HeadlessVm a-r | Set-HeadlessVm -NewName { \"$($_.Name)2\" }");
        Assert.Equal("a-r2", _ps.Ok("(Get-HeadlessVm a-r*).Name").Single().BaseObject);

        // A piped checkpoint names its VM and itself: the copy holds the disk as it was then.
        _ps.Ok("Checkpoint-HeadlessVm a -SnapshotName base");
        var fromCheckpoint = _ps.Run("Get-HeadlessVmSnapshot a -SnapshotName base | Copy-HeadlessVm -NewName a-s -PassThru");
        Assert.Empty(fromCheckpoint.Errors);
        Assert.Equal("a-s", fromCheckpoint.Output.Single().Properties["Name"].Value);
    }

    [Fact]
    public void A_semicolon_in_a_path_that_names_an_existing_file_is_part_of_its_name_and_still_joins_other_lists()
    {
        _ps.Ok("New-HeadlessVmDisk 'semi;colon.qcow2' -SizeGB 0.01 | Out-Null; New-HeadlessVmDisk plain.qcow2 -SizeGB 0.01 | Out-Null");
        var typed = _ps.Ok("New-HeadlessVm m1 -NoStart -MemoryMB 64 -DiskPath 'semi;colon.qcow2'").Single();
        Assert.Equal(new[] { _ps.Work("semi;colon.qcow2") }, (IEnumerable<string>)typed.Properties["DiskPath"].Value!);

        // Exported and recreated, the one disk's name is still whole; a text that names no file as a whole is still a list.
        var recreated = _ps.Run("Get-HeadlessVm m1 | ConvertTo-Csv | ConvertFrom-Csv | ForEach-Object { $_.Name = 'm3'; $_ } | New-HeadlessVm -NoStart");
        Assert.Empty(recreated.Errors);
        var again = recreated.Output.Single();
        Assert.Equal(new[] { _ps.Work("semi;colon.qcow2") }, (IEnumerable<string>)again.Properties["DiskPath"].Value!);
        _ps.Ok("New-HeadlessVmDisk two.qcow2 -SizeGB 0.01 | Out-Null");
        var csv = _ps.Ok("'Name,DiskPath,MemoryMB', 'm2,plain.qcow2;two.qcow2,64' | ConvertFrom-Csv | New-HeadlessVm -NoStart").Single();
        Assert.Equal(new[] { _ps.Work("plain.qcow2"), _ps.Work("two.qcow2") }, (IEnumerable<string>)csv.Properties["DiskPath"].Value!);
    }
}
