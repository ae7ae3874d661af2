using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>Bad input gets a specific, categorised ErrorRecord aimed at the VM, and leaves nothing behind.</summary>
[Collection("PowerShell")]
public sealed class ErrorTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("HEADLESSVM_KVM_DEVICE", null);
        _ps.Dispose();
    }

    private ErrorRecord SingleError(string script, string id, ErrorCategory category, string target, Dictionary<string, object?>? variables = null)
    {
        var r = _ps.Run(script, variables);
        Assert.Null(r.Terminating);
        var error = Assert.Single(r.Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Equal(target, error.TargetObject);
        return error;
    }

    private void AssertNothingLeft()
    {
        var vms = Path.Combine(_ps.StateRoot, "vms");
        Assert.True(!Directory.Exists(vms) || !Directory.EnumerateFileSystemEntries(vms).Any(),
            "the state store should be empty");
        Assert.DoesNotContain(System.Diagnostics.Process.GetProcessesByName("qemu-system-x86_64"),
            p => (ProcessInfo.CommandLine(p.Id) ?? Array.Empty<string>()).Any(a => a.Contains(_ps.StateRoot, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a;b")]
    [InlineData("$(id)")]
    [InlineData("-dash")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    [InlineData("x1234567890123456789012345678901234567890123456789012345678901234")]
    public void Names_outside_the_allowed_alphabet_are_rejected_before_anything_is_written(string name)
    {
        SingleError("New-HeadlessVm -Name $badName -Accelerator Tcg", "InvalidVmName", ErrorCategory.InvalidArgument, name,
            new Dictionary<string, object?> { ["badName"] = name });
        AssertNothingLeft();
    }

    [Fact]
    public void An_empty_name_is_refused_by_parameter_validation()
    {
        var r = _ps.Run("New-HeadlessVm -Name ''");
        var error = Assert.Single(r.Errors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("New-HeadlessVm cd1 -MemoryMB 64 -Accelerator Tcg -IsoPath ./missing.iso", "-IsoPath", "missing.iso")]
    [InlineData("New-HeadlessVm cd1 -MemoryMB 64 -Accelerator Tcg -NoStart -IsoPath ./missing.iso", "-IsoPath", "missing.iso")]
    [InlineData("New-HeadlessVm cd1 -MemoryMB 64 -Accelerator Tcg -NoStart -KernelPath ./missing-kernel", "-KernelPath", "missing-kernel")]
    [InlineData("New-HeadlessVm cd1 -MemoryMB 64 -Accelerator Tcg -NoStart -KernelPath ./bzImage -InitrdPath ./missing-initrd", "-InitrdPath", "missing-initrd")]
    [InlineData("New-HeadlessVm cd1 -MemoryMB 64 -Accelerator Tcg -NoStart -KernelPath ./boot-folder", "-KernelPath", "boot-folder")]
    public void A_missing_ISO_kernel_or_initrd_is_BootFileNotFound_at_New_naming_the_file_and_leaves_nothing(string script, string parameter, string file)
    {
        File.Copy(TestGuest.Kernel, _ps.Work("bzImage"));
        Directory.CreateDirectory(_ps.Work("boot-folder"));
        var error = SingleError(script, "BootFileNotFound", ErrorCategory.ObjectNotFound, "cd1");
        Assert.Contains($"{parameter} '{_ps.Work(file)}'", error.Exception.Message, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Fact]
    public void A_kernel_this_user_cannot_read_is_BootFileUnreadable_with_the_systems_message()
    {
        // Write-only even for root (proc(5): /proc/sys files are checked against their mode bits for root as well).
        var error = SingleError("New-HeadlessVm cd1 -MemoryMB 64 -NoStart -KernelPath /proc/sys/vm/compact_memory", "BootFileUnreadable", ErrorCategory.PermissionDenied, "cd1");
        Assert.Contains("'/proc/sys/vm/compact_memory' cannot be read", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("denied", error.Exception.Message, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Fact]
    public void Set_HeadlessVm_refuses_a_missing_ISO_or_kernel_at_once_and_keeps_the_VM_as_it_was()
    {
        _ps.Ok($"New-HeadlessVm cd1 -MemoryMB 64 -NoStart -IsoPath '{TestGuest.Iso}' | Out-Null");
        SingleError("Set-HeadlessVm cd1 -IsoPath ./missing.iso", "BootFileNotFound", ErrorCategory.ObjectNotFound, "cd1");
        Assert.Equal(TestGuest.Iso, _ps.Ok("(Get-HeadlessVm cd1).IsoPath").Single().BaseObject);

        // A file that has gone since it was given stays the VM's to change other settings of; qemu says so at start.
        var iso = _ps.Work("gone.iso");
        File.Copy(TestGuest.Iso, iso);
        _ps.Ok("Set-HeadlessVm cd1 -IsoPath ./gone.iso");
        File.Delete(iso);
        _ps.Ok("Set-HeadlessVm cd1 -MemoryMB 96");
        var error = SingleError("Start-HeadlessVm cd1", "QemuFileNotFound", ErrorCategory.ObjectNotFound, "cd1");
        Assert.Contains("gone.iso", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", error.Exception.Message, StringComparison.Ordinal);
        _ps.Ok("Remove-HeadlessVm cd1 -Force");
        AssertNothingLeft();
    }

    [Fact]
    public void A_file_that_is_not_a_CD_image_given_as_the_ISO_is_NotAnIsoImage_and_leaves_nothing()
    {
        // A qcow2 disk image given to -IsoPath by mistake: qemu would take it and the guest find no bootable device.
        File.Copy(TestGuest.Qcow2, Path.Combine(_ps.WorkFolder, "disk.iso"));
        var error = SingleError("New-HeadlessVm cd2 -MemoryMB 64 -Accelerator Tcg -IsoPath ./disk.iso", "NotAnIsoImage", ErrorCategory.InvalidArgument, "cd2");
        Assert.Contains(Path.Combine(_ps.WorkFolder, "disk.iso"), error.Exception.Message, StringComparison.Ordinal);
        AssertNothingLeft();

        // The real ISO is one: the same VM is made from it.
        _ps.Ok($"New-HeadlessVm cd2 -MemoryMB 64 -NoStart -IsoPath '{TestGuest.Iso}' | Out-Null");
    }

    [Fact]
    public void An_unknown_CPU_model_is_refused_with_qemus_message()
    {
        var error = SingleError("New-HeadlessVm cpu1 -MemoryMB 64 -Accelerator Tcg -Cpu no-such-cpu", "QemuUnknownCpuModel", ErrorCategory.InvalidArgument, "cpu1");
        Assert.Contains("no-such-cpu", error.Exception.Message);
        AssertNothingLeft();
    }

    [Fact]
    public void A_name_that_exists_is_ResourceExists_and_the_first_VM_is_untouched()
    {
        _ps.Ok("New-HeadlessVm dup -NoStart -MemoryMB 64");
        SingleError("New-HeadlessVm dup -NoStart -MemoryMB 512", "VmAlreadyExists", ErrorCategory.ResourceExists, "dup");
        Assert.Equal(64, _ps.Ok("Get-HeadlessVm dup").Single().Properties["MemoryMB"].Value);
    }

    [Fact]
    public void An_explicit_VNC_display_held_by_another_VM_is_an_error_naming_it()
    {
        // On an address of its own, whose port for :4 no other program holds.
        var address = FreePorts.PrivateLoopbackAddress();
        _ps.Ok($"New-HeadlessVm holder -NoStart -VncDisplay 4 -ListenAddress {address}");
        var error = SingleError($"New-HeadlessVm taker -NoStart -VncDisplay 4 -ListenAddress {address}", "VncDisplayInUse", ErrorCategory.ResourceExists, "taker");
        Assert.Contains("'holder'", error.Exception.Message);
        Assert.Single(_ps.Ok("Get-HeadlessVm"));
    }

    [Fact]
    public void A_VNC_port_held_by_another_program_is_skipped_when_allocating_and_an_error_when_asked_for()
    {
        // On an address of its own: the listener below is the only program on its VNC ports, so the allocator's
        // first choice, :1, is taken and :2 is the first free one.
        var address = FreePorts.PrivateLoopbackAddress();
        using var listener = new TcpListener(IPAddress.Parse(address), 5901);
        listener.Start();
        var error = SingleError($"New-HeadlessVm busy -NoStart -VncDisplay 1 -ListenAddress {address}", "VncPortInUse", ErrorCategory.ResourceUnavailable, "busy");
        Assert.Contains("5901", error.Exception.Message);
        Assert.Equal(2, _ps.Ok($"New-HeadlessVm free -NoStart -ListenAddress {address}").Single().Properties["VncDisplay"].Value);
    }

    [Fact]
    public void A_disk_whose_extension_does_not_say_its_format_must_be_stated()
    {
        File.WriteAllBytes(Path.Combine(_ps.WorkFolder, "x.bin"), new byte[1024 * 1024]);
        var error = SingleError("New-HeadlessVm bin1 -NoStart -DiskPath ./x.bin", "DiskFormatUnknown", ErrorCategory.InvalidArgument, Path.Combine(_ps.WorkFolder, "x.bin"));
        Assert.Contains("-DiskFormat", error.Exception.Message);
        AssertNothingLeft();

        var vm = _ps.Ok("New-HeadlessVm bin1 -MemoryMB 64 -Accelerator Tcg -DiskPath ./x.bin -DiskFormat raw").Single();
        Assert.Contains($"file={Path.Combine(_ps.WorkFolder, "x.bin")},format=raw,if=virtio", ProcessInfo.CommandLine((int)vm.Properties["ProcessId"].Value)!);
        _ps.Ok("Stop-HeadlessVm bin1 -Force");
    }

    [Fact]
    public void Kvm_without_a_usable_device_is_a_clear_error_and_Auto_falls_back_to_TCG_with_a_warning()
    {
        Environment.SetEnvironmentVariable("HEADLESSVM_KVM_DEVICE", Path.Combine(_ps.StateRoot, "no-kvm"));
        var error = SingleError("New-HeadlessVm k1 -MemoryMB 64 -Accelerator Kvm", "KvmUnavailable", ErrorCategory.ResourceUnavailable, "k1");
        Assert.Contains("-Accelerator Tcg", error.Exception.Message);
        AssertNothingLeft();

        // A start that fails (qemu refuses an option) does not warn about TCG first: that warning belongs to a VM that runs.
        var failed = _ps.Run("New-HeadlessVm auto0 -MemoryMB 64 -Cpu no-such-model");
        Assert.NotEmpty(failed.Errors);
        Assert.DoesNotContain(failed.Warnings, w => w.Contains("TCG", StringComparison.Ordinal));

        var r = _ps.Run("New-HeadlessVm auto1 -MemoryMB 64");
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Contains("TCG", StringComparison.Ordinal));
        var vm = r.Output.Single();
        Assert.Equal("Tcg", vm.Properties["Accelerator"].Value.ToString());
        Assert.Equal("max", vm.Properties["Cpu"].Value);
        var argv = ProcessInfo.CommandLine((int)vm.Properties["ProcessId"].Value)!.ToList();
        Assert.Equal("tcg", argv[argv.IndexOf("-accel") + 1]);
        _ps.Ok("Stop-HeadlessVm auto1 -Force");
    }

    [Fact]
    public void Get_HeadlessVm_with_an_unknown_name_is_ObjectNotFound_but_an_unmatched_wildcard_is_silent()
    {
        SingleError("Get-HeadlessVm nosuch", "VmNotFound", ErrorCategory.ObjectNotFound, "nosuch");
        var r = _ps.Run("Get-HeadlessVm nosuch*");
        Assert.Empty(r.Errors);
        Assert.Empty(r.Output);
    }

    [Fact]
    public void Each_VM_in_a_pipeline_gets_its_own_error_and_the_others_are_still_processed()
    {
        _ps.Ok("New-HeadlessVm ok1 -NoStart -MemoryMB 64 -Accelerator Tcg; New-HeadlessVm bad1 -NoStart -MemoryMB 64 -Accelerator Tcg -Cpu bogus-model; New-HeadlessVm ok2 -NoStart -MemoryMB 64 -Accelerator Tcg");
        var r = _ps.Run("Get-HeadlessVm | Start-HeadlessVm -PassThru");
        // Each error names its VM: a failure shows whose error an extra one is.
        Assert.Equal(new[] { "bad1: QemuUnknownCpuModel" }, r.Errors.Select(e => $"{e.TargetObject}: {e.FullyQualifiedErrorId.Split(',')[0]}"));
        Assert.Equal(new[] { "ok1", "ok2" }, r.Output.Select(o => (string)o.Properties["Name"].Value));
        _ps.Ok("Stop-HeadlessVm ok* -Force");
    }
}
