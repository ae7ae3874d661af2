using System.Text.Json.Nodes;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Tests;

/// <summary>
/// New-HeadlessVm's options as the real qemu takes them, asked back from qemu itself over QMP: what the
/// argument builder's unit tests assert as text, shown to work end to end (qemu has refused some of these
/// in public reports: commas in paths, IPv6 VNC addresses, extra arguments, other architectures).
/// </summary>
[Collection("PowerShell")]
public sealed class VmOptionsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    /// <summary>Asks the VM's qemu directly (no cmdlet is connected while the test asks).</summary>
    private JsonNode? Ask(string vm, string command)
    {
        using var qmp = QmpClient.Connect(_ps.Paths.ForVm(vm).QmpSocket, TimeSpan.FromSeconds(10));
        return qmp.Execute(command);
    }

    private List<string> Argv(string vm) => ProcessInfo.CommandLine((int)_ps.Ok($"(Get-HeadlessVm {vm}).ProcessId").Single().BaseObject)!.ToList();

    [Fact]
    public void Disks_with_a_format_each_and_a_comma_in_the_path_a_MAC_a_boot_order_and_extra_arguments_reach_qemu()
    {
        _ps.Ok("New-HeadlessVmDisk 'da,ta.qcow2' -SizeGB 1 | Out-Null; New-HeadlessVmDisk scratch.img -SizeGB 1 | Out-Null");
        var vm = _ps.Ok("New-HeadlessVm o1 -Accelerator Tcg -MemoryMB 64 -Paused -DiskPath 'da,ta.qcow2', scratch.img -DiskFormat qcow2, raw " +
            "-MacAddress 52-54-00-AB-CD-EF -BootOrder dc -ExtraArgument '-name', 'guest=hvm-extra'").Single();
        Assert.Equal("Paused", vm.Properties["State"].Value.ToString());

        // Each disk with its own format, the comma in the first one's name kept (qemu reads ",," as a comma).
        var blocks = Ask("o1", "query-block")!.AsArray()
            .Where(b => b!["inserted"] is not null)
            .Select(b => (File: b!["inserted"]!["file"]!.GetValue<string>(), Format: b["inserted"]!["drv"]!.GetValue<string>()))
            .ToList();
        Assert.Contains((_ps.WorkFolder + "/da,ta.qcow2", "qcow2"), blocks);
        Assert.Contains((_ps.WorkFolder + "/scratch.img", "raw"), blocks);

        // The MAC, normalised, is the guest NIC's.
        var nic = Ask("o1", "query-rx-filter")!.AsArray().Single();
        Assert.Equal("52:54:00:ab:cd:ef", nic!["main-mac"]!.GetValue<string>());
        Assert.Equal("52:54:00:ab:cd:ef", _ps.Ok("(Get-HeadlessVm o1).MacAddress").Single().BaseObject);

        // The extra arguments come last, as given, and qemu acted on them.
        Assert.Equal("hvm-extra", Ask("o1", "query-name")!["name"]!.GetValue<string>());
        var argv = Argv("o1");
        Assert.Equal(new[] { "-name", "guest=hvm-extra" }, argv.TakeLast(2));

        // The boot order qemu was started with (qemu has no query for it; it started with it, or it would have refused).
        Assert.Equal("order=dc", argv[argv.IndexOf("-boot") + 1]);
    }

    [Fact]
    public void A_VM_listening_on_IPv6_loopback_serves_its_console_there_with_its_password()
    {
        var vm = _ps.Ok("New-HeadlessVm v6 -Accelerator Tcg -MemoryMB 64 -Network None -Paused -ListenAddress ::1").Single();
        Assert.Equal("::1", vm.Properties["VncAddress"].Value);
        var display = (int)vm.Properties["VncDisplay"].Value;
        Assert.Contains($"[::1]:{display},password=on", Argv("v6"));
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "v6");
        Assert.False(Ports.IsFree("::1", 5900 + display));
    }

    [Fact]
    public void Another_architecture_runs_its_own_qemu()
    {
        var vm = _ps.Ok("New-HeadlessVm arch1 -Architecture i386 -Accelerator Tcg -MemoryMB 64 -Network None -Paused").Single();
        Assert.Equal("i386", vm.Properties["Architecture"].Value);
        Assert.Equal("qemu-system-i386", Path.GetFileName(Argv("arch1")[0]));
        Assert.Equal("i386", Ask("arch1", "query-target")!["arch"]!.GetValue<string>());
        ConsoleTestKit.AssertVncPasswordAccepted(_ps, "arch1");
    }
}
