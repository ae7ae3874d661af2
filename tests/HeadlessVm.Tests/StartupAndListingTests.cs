using System.Management.Automation;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>What makes starting and listing fast: paused starts, a remembered KVM failure, concurrent listing.</summary>
[Collection("PowerShell")]
public sealed class StartupAndListingTests : IDisposable
{
    private readonly PowerShellSession _ps = new();
    private readonly string? _path = Environment.GetEnvironmentVariable("PATH");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", _path);
        Environment.SetEnvironmentVariable("HEADLESSVM_KVM_DEVICE", null);
        _ps.Dispose();
    }

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value;

    private static string Kind(string line) => line switch
    {
        _ when line.StartsWith("QMP -> ", StringComparison.Ordinal) && line.Contains("qmp_capabilities", StringComparison.Ordinal) => "QMP -> qmp_capabilities",
        _ when line.StartsWith("QMP -> ", StringComparison.Ordinal) && line.Contains("query-status", StringComparison.Ordinal) => "QMP -> query-status",
        _ when line.StartsWith("QMP <- ", StringComparison.Ordinal) && line.Contains("\"QMP\"", StringComparison.Ordinal) => "QMP <- greeting",
        _ when line.StartsWith("QMP <- ", StringComparison.Ordinal) && line.Contains("\"status\"", StringComparison.Ordinal) => "QMP <- status",
        _ when line.StartsWith("QMP <- ", StringComparison.Ordinal) && line.Contains("\"return\"", StringComparison.Ordinal) => "QMP <- return",
        _ => line,
    };

    [Fact]
    public void New_HeadlessVm_Paused_starts_qemu_with_its_CPUs_stopped_until_Resume_HeadlessVm()
    {
        var vm = _ps.Ok("New-HeadlessVm p1 -MemoryMB 64 -Accelerator Tcg -Network None -Paused").Single();
        Assert.Equal("Paused", Prop(vm, "State")!.ToString());
        var pid = (int)Prop(vm, "ProcessId")!;
        Assert.Contains("-S", ProcessInfo.CommandLine(pid)!);

        // Its console is served while paused, and its password was set before its CPUs ever ran.
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "p1");

        Assert.Equal("Running", Prop(_ps.Ok("Resume-HeadlessVm p1 -PassThru").Single(), "State")!.ToString());
        Assert.Equal("Running", Prop(_ps.Ok("Get-HeadlessVm p1").Single(), "State")!.ToString());

        // Start-HeadlessVm -Paused does the same for a stopped VM; -NoStart with -Paused is a contradiction.
        _ps.Ok("Stop-HeadlessVm p1 -Force");
        Assert.Equal("Paused", Prop(_ps.Ok("Start-HeadlessVm p1 -Paused -PassThru").Single(), "State")!.ToString());
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "p1");
        var r = _ps.Run("New-HeadlessVm p2 -NoStart -Paused");
        var error = Assert.Single(r.Errors);
        Assert.Equal("NoStartWithPaused", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("p2", error.TargetObject);
        Assert.Equal(new[] { "p1" }, _ps.Ok("Get-HeadlessVm").Select(v => Prop(v, "Name")));
    }

    [Fact]
    public void Stop_HeadlessVm_powers_off_at_once_a_VM_started_Paused_whose_CPUs_never_ran()
    {
        var pid = (int)Prop(_ps.Ok("New-HeadlessVm p1 -MemoryMB 64 -Accelerator Tcg -Network None -Paused").Single(), "ProcessId")!;

        // Nothing runs in a VM that has never run, not even firmware, to see the power button: waiting
        // out -TimeoutSec would end in the "did not shut down" warning and a power off anyway.
        var r = _ps.Run("Stop-HeadlessVm p1 -TimeoutSec 60 -PassThru -Verbose");
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        Assert.Contains(r.Verbose, v => v.Contains("has never run", StringComparison.Ordinal));
        Assert.Equal("Stopped", Prop(r.Output.Single(), "State")!.ToString());
        Assert.False(ProcessInfo.IsAlive(pid));
    }

    [Fact]
    public void Auto_remembers_that_KVM_failed_and_starts_the_next_VM_under_TCG_without_trying_KVM_again()
    {
        // A qemu that refuses KVM on cue (this is what a real qemu does on a host whose KVM is broken),
        // and runs the real qemu otherwise; it logs every start.
        var log = WrapQemu("""
            for a in "$@"; do
              if [ "$a" = kvm ]; then echo kvm >> "$LOG"; echo "qemu-system-x86_64: error: failed to initialize kvm: Operation not supported" >&2; exit 1; fi
            done
            echo tcg >> "$LOG"
            """);
        // The device check passes: KVM looks usable until qemu tries it.
        var device = Path.Combine(_ps.StateRoot, "kvm-device");
        File.WriteAllText(device, string.Empty);
        Environment.SetEnvironmentVariable("HEADLESSVM_KVM_DEVICE", device);

        // On an address of its own, so that no other program takes the display picked for it: every start is one of these.
        var address = FreePorts.PrivateLoopbackAddress();
        var first = _ps.Run($"New-HeadlessVm a1 -MemoryMB 64 -Network None -ListenAddress {address}");
        Assert.Empty(first.Errors);
        Assert.Equal("Tcg", Prop(first.Output.Single(), "Accelerator")!.ToString());
        Assert.Contains(first.Warnings, w => w.Contains("KVM failed for VM 'a1'", StringComparison.Ordinal) && w.Contains("failed to initialize kvm", StringComparison.Ordinal));
        Assert.Equal(new[] { "kvm", "tcg" }, File.ReadAllLines(log));

        var second = _ps.Run($"New-HeadlessVm a2 -MemoryMB 64 -Network None -ListenAddress {address}");
        Assert.Empty(second.Errors);
        Assert.Equal("Tcg", Prop(second.Output.Single(), "Accelerator")!.ToString());
        var warning = Assert.Single(second.Warnings);
        Assert.Contains("earlier on this boot", warning);
        Assert.Contains("'a2'", warning);
        Assert.Equal(new[] { "kvm", "tcg", "tcg" }, File.ReadAllLines(log));

        // Asking for KVM outright still asks qemu, and qemu's own message is the error.
        var kvm = _ps.Run($"New-HeadlessVm k1 -MemoryMB 64 -Network None -Accelerator Kvm -ListenAddress {address}");
        var error = Assert.Single(kvm.Errors);
        Assert.Contains("failed to initialize kvm", error.Exception.Message);
        Assert.Equal("k1", error.TargetObject);
        Assert.Equal(new[] { "kvm", "tcg", "tcg", "kvm" }, File.ReadAllLines(log));
    }

    [Fact]
    public void A_VNC_display_taken_between_the_check_and_qemus_bind_is_picked_again_unless_the_user_chose_it()
    {
        // The race on cue: the first qemu start fails as qemu does when another program has just bound
        // the VNC port; later starts run the real qemu.
        var log = WrapQemu("""
            if [ ! -e "$LOG" ]; then
              echo raced >> "$LOG"
              for a in "$@"; do case "$a" in *,password=on) vnc="$a";; esac; done
              echo "qemu-system-x86_64: -vnc $vnc: Failed to find an available port: Address already in use" >&2
              exit 1
            fi
            echo started >> "$LOG"
            """);
        // On an address of its own: only the wrapper's race moves the display, never another program.
        var address = FreePorts.PrivateLoopbackAddress();
        var r = _ps.Run($"New-HeadlessVm r1 -MemoryMB 64 -Accelerator Tcg -Network None -ListenAddress {address} -Verbose");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "raced", "started" }, File.ReadAllLines(log));
        var vm = r.Output.Single();
        var display = (int)Prop(vm, "VncDisplay")!;
        var moved = Assert.Single(r.Verbose, v => v.StartsWith("VNC display :", StringComparison.Ordinal));
        Assert.Equal("VNC display :1 is taken by another program; VM 'r1' uses :2 instead.", moved);
        Assert.Equal(2, display);
        Assert.Contains($"{address}:2,password=on", ProcessInfo.CommandLine((int)Prop(vm, "ProcessId")!)!);
        Assert.Equal(display, (int)Prop(_ps.Ok("Get-HeadlessVm r1").Single(), "VncDisplay")!);

        // A display the user asked for is theirs to change: the error carries qemu's message, nothing stays.
        File.Delete(log);
        var chosen = _ps.Run($"New-HeadlessVm r2 -MemoryMB 64 -Accelerator Tcg -Network None -ListenAddress {address} -VncDisplay 3");
        var error = Assert.Single(chosen.Errors);
        Assert.Equal("QemuPortInUse", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("Failed to find an available port", error.Exception.Message);
        Assert.Equal(new[] { "r1" }, _ps.Ok("Get-HeadlessVm").Select(v => Prop(v, "Name")));
    }

    /// <summary>
    /// Puts a qemu-system-x86_64 first on PATH that runs <paramref name="script"/> (with $LOG set), then
    /// the real qemu; returns the log's path. For failures a real qemu cannot show on cue.
    /// </summary>
    private string WrapQemu(string script)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_ps.StateRoot, "bin")).FullName;
        var log = Path.Combine(bin, "starts.log");
        var wrapper = Path.Combine(bin, "qemu-system-x86_64");
        File.WriteAllText(wrapper, "#!/bin/sh\nLOG='" + log + "'\n" + script + "\nexec /usr/bin/qemu-system-x86_64 \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", bin + ":" + _path);
        return log;
    }

    [Fact]
    public void Get_HeadlessVm_asks_many_VMs_at_once_and_still_reports_each_ones_own_state_and_debug_output_in_order()
    {
        var names = Enumerable.Range(1, 8).Select(i => $"l{i}").ToArray();
        var created = _ps.Ok("1..8 | ForEach-Object { [pscustomobject]@{ Name = \"l$_\"; MemoryMB = 64; Network = 'None'; Accelerator = 'Tcg' } } | New-HeadlessVm -Paused");
        Assert.Equal(names, created.Select(v => Prop(v, "Name")));

        // One VM made unresponsive (its qemu stopped with SIGSTOP), one resumed.
        var frozen = (int)Prop(created[2], "ProcessId")!;
        _ps.Ok("Resume-HeadlessVm l5");
        ProcessInfo.Signal(frozen, 19);
        try
        {
            var r = _ps.Run("Get-HeadlessVm -Debug");
            Assert.Empty(r.Errors);
            Assert.Equal(names, r.Output.Select(v => Prop(v, "Name")));
            Assert.Equal(
                new[] { "Paused", "Paused", "Unresponsive", "Paused", "Running", "Paused", "Paused", "Paused" },
                r.Output.Select(v => Prop(v, "State")!.ToString()));

            // -Debug shows each VM's QMP exchange whole, VM after VM, though they were asked concurrently.
            // One round trip each: both commands go out, then greeting, negotiation and status come back.
            var qmp = _ps.Run("Get-HeadlessVm l1, l2, l4 -Debug").Debug.Where(d => d.StartsWith("QMP", StringComparison.Ordinal)).ToArray();
            var oneVm = new[] { "QMP -> qmp_capabilities", "QMP -> query-status", "QMP <- greeting", "QMP <- return", "QMP <- status" };
            Assert.Equal(oneVm.Concat(oneVm).Concat(oneVm), qmp.Select(Kind));
        }
        finally
        {
            ProcessInfo.Signal(frozen, 18);
        }
    }
}
