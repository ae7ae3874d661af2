using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// What Set-, Copy- and Rename-HeadlessVm say when a VM's settings are wrong or cannot be changed now: the VM as
/// target and in the message, a message that fits the command, a bad disk folder refused before anything is made,
/// warnings for a shared MAC and for a cloud-init seed that cannot work, and a keyfile message that fits.
/// </summary>
[Collection("PowerShell")]
public sealed class VmSettingsErrorsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void Bad_forwards_and_MACs_target_the_VM_and_name_it_in_Set_and_New()
    {
        _ps.Ok("New-HeadlessVm a1 -NoStart -MemoryMB 64 | Out-Null");
        foreach (var (script, id, vm) in new[]
        {
            ("Set-HeadlessVm a1 -PortForward abc", "InvalidPortForward", "a1"),
            ("Set-HeadlessVm a1 -MacAddress zz", "InvalidMacAddress", "a1"),
            ("New-HeadlessVm a2 -NoStart -PortForward abc", "InvalidPortForward", "a2"),
            ("New-HeadlessVm a2 -NoStart -MacAddress zz", "InvalidMacAddress", "a2"),
        })
        {
            var error = Assert.Single(_ps.Run(script).Errors);
            Assert.StartsWith(id, error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(vm, error.TargetObject);
            Assert.Contains($"VM '{vm}'", error.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        Assert.Equal(new[] { "a1" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
    }

    [Fact]
    public void A_running_VM_refused_by_Copy_or_Rename_gets_a_message_about_copying_or_renaming()
    {
        _ps.Ok("New-HeadlessVm r1 -MemoryMB 32 -Accelerator Tcg -Network None -Paused | Out-Null");
        var copy = Assert.Single(_ps.Run("Copy-HeadlessVm r1 r1copy").Errors);
        var linked = Assert.Single(_ps.Run("Copy-HeadlessVm r1 r1copy -Linked").Errors);
        var rename = Assert.Single(_ps.Run("Rename-HeadlessVm r1 r1x").Errors);
        var set = Assert.Single(_ps.Run("Set-HeadlessVm r1 -MemoryMB 64").Errors);
        _ps.Ok("Stop-HeadlessVm r1 -Force");

        Assert.All(new[] { copy, linked, rename, set }, e => Assert.StartsWith("VmMustBeStopped", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.All(new[] { copy, linked, rename, set }, e => Assert.Equal("r1", e.TargetObject));
        Assert.All(new[] { copy, linked, rename }, e => Assert.DoesNotContain("-PortForward", e.Exception.Message));
        Assert.Contains("a copy of its disks needs it stopped", copy.Exception.Message);
        Assert.Contains("-SnapshotName", copy.Exception.Message);
        Assert.Contains("a linked copy", linked.Exception.Message);
        Assert.Contains("renaming it needs it stopped", rename.Exception.Message);
        Assert.Contains("-PortForward", set.Exception.Message);
        Assert.Equal(new[] { "r1" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
    }

    [Fact]
    public void Copy_to_a_disk_folder_that_is_not_there_is_refused_naming_it_before_anything_is_made()
    {
        _ps.Ok("New-HeadlessVmDisk a2.qcow2 -SizeGB 0.01 | Out-Null; New-HeadlessVm a2 -NoStart -MemoryMB 64 -DiskPath a2.qcow2 | Out-Null");
        File.WriteAllText(_ps.Work("afile"), "not a folder");
        foreach (var folder in new[] { "/nonexistent", "afile" })
        {
            var r = _ps.Run($"Copy-HeadlessVm a2 a2-copy -DiskFolder {folder}");
            var error = Assert.Single(r.Errors);
            Assert.StartsWith("CopyDiskFolderNotFound", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
            Assert.Equal("a2", error.TargetObject);
            Assert.Contains(folder == "afile" ? _ps.Work("afile") : folder, error.Exception.Message);
            Assert.Empty(r.Warnings);
        }

        Assert.Equal(new[] { "a2" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.BaseObject));
        Assert.Empty(Directory.GetFiles(_ps.WorkFolder, "a2-copy*"));
    }

    [Fact]
    public void A_VM_made_with_a_MAC_another_VM_has_warns_naming_that_VM()
    {
        var first = _ps.Run("New-HeadlessVm m1 -NoStart -MemoryMB 64 -MacAddress 52:54:00:12:34:56");
        Assert.Empty(first.Warnings);
        var twin = _ps.Run("Get-HeadlessVm m1 | ConvertTo-Csv | ConvertFrom-Csv | ForEach-Object { $_.Name = 'm2'; $_ } | New-HeadlessVm -NoStart");
        Assert.Empty(twin.Errors);
        Assert.Contains(twin.Warnings, w => w.Contains("MAC address 52:54:00:12:34:56 as VM 'm1'", StringComparison.Ordinal));

        // A generated MAC is made anew for the recreated VM: nothing shared, nothing said.
        _ps.Ok("New-HeadlessVm g1 -NoStart -MemoryMB 64 | Out-Null");
        var fresh = _ps.Run("Get-HeadlessVm g1 | ConvertTo-Csv | ConvertFrom-Csv | ForEach-Object { $_.Name = 'g2'; $_ } | New-HeadlessVm -NoStart");
        Assert.DoesNotContain(fresh.Warnings, w => w.Contains("MAC", StringComparison.Ordinal));
    }

    [Fact]
    public void The_READMEs_lab_round_trip_recreates_VMs_whose_display_was_chosen()
    {
        _ps.Ok("New-HeadlessVm w1 -NoStart -MemoryMB 64 -VncDisplay 37 | Out-Null; New-HeadlessVm w2 -NoStart -MemoryMB 64 | Out-Null");
        var readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var line = readme.Single(l => l.StartsWith("PS> Import-Csv ./lab.csv", StringComparison.Ordinal))["PS> ".Length..];
        var r = _ps.Run("Get-HeadlessVm | Export-Csv ./lab.csv; " + line);
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "w1", "w1-b", "w2", "w2-b" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => (string)o.BaseObject).Order(StringComparer.Ordinal));
        Assert.NotEqual(37, _ps.Ok("(Get-HeadlessVm w1-b).VncDisplay").Single().BaseObject);
    }

    [Fact]
    public void A_cloud_init_seed_that_cloud_init_would_ignore_or_that_lets_nobody_in_warns()
    {
        var ignored = _ps.Run("New-HeadlessVm c6 -NoStart -MemoryMB 64 -CloudInit -UserData 'runcmd: [echo x]'");
        Assert.Empty(ignored.Errors);
        Assert.Contains(ignored.Warnings, w => w.Contains("VM 'c6'", StringComparison.Ordinal) && w.Contains("#cloud-config", StringComparison.Ordinal));

        var noWayIn = _ps.Run("New-HeadlessVm c7 -NoStart -MemoryMB 64 -CloudInit");
        Assert.Empty(noWayIn.Errors);
        Assert.Contains(noWayIn.Warnings, w => w.Contains("VM 'c7'", StringComparison.Ordinal) && w.Contains("no way in", StringComparison.Ordinal));

        // Each format cloud-init knows by its first line is taken without a word.
        var headers = new[] { "#cloud-config\nruncmd: [echo x]", "#!/bin/sh\necho x", "#include\nhttp://127.0.0.1/x", "## template: jinja\n#cloud-config\n{}", "Content-Type: multipart/mixed; boundary=x\n" };
        for (var i = 0; i < headers.Length; i++)
        {
            var r = _ps.Run($"New-HeadlessVm h{i} -NoStart -MemoryMB 64 -CloudInit -UserData $data", new Dictionary<string, object?> { ["data"] = headers[i] });
            Assert.Empty(r.Errors);
            Assert.Empty(r.Warnings);
        }

        Assert.Empty(_ps.Run("New-HeadlessVm c8 -NoStart -MemoryMB 64 -CloudInit -UserName admin").Warnings);
    }

    [Fact]
    public void A_keyfile_that_cannot_be_read_is_said_to_be_one_and_not_a_bad_URI()
    {
        var r = _ps.Run("Connect-HeadlessVmHost h2 -Uri 'qemu+ssh://root@127.0.0.1/system?keyfile=/tmp/headlessvm-no-such-key'");
        var error = r.Terminating is IContainsErrorRecord t ? t.ErrorRecord : Assert.Single(r.Errors);
        Assert.StartsWith("InvalidConnectionUri", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("keyfile '/tmp/headlessvm-no-such-key' cannot be read", error.Exception.Message);
        Assert.DoesNotContain("is not a libvirt URI", error.Exception.Message);
        Assert.DoesNotContain("driver[+transport]", error.Exception.Message);
        Assert.Contains("leave keyfile= out", error.Exception.Message);
    }
}
