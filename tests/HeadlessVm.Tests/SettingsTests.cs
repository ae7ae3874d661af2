using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Tests;

/// <summary>
/// Set-HeadlessVm and Rename-HeadlessVm on real qemu: a stopped VM starts with what was set (its qemu command line
/// says so), a running one takes a new ISO and new port forwards live (qemu's own block list and a real HTTP request
/// through the forward say so), and every other change, or a live change qemu refuses, leaves the VM exactly as it was.
/// </summary>
[Collection("PowerShell")]
public sealed class SettingsTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_stopped_VM_takes_every_setting_and_starts_with_them()
    {
        _ps.Ok("New-HeadlessVmDisk d1.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk d2.qcow2 -SizeGB 0.1 | Out-Null");
        // An address of its own, where every display is free: the one set here is free at the start.
        _ps.Ok($"New-HeadlessVm s1 -Accelerator Tcg -MemoryMB 64 -DiskPath d1.qcow2 -ListenAddress {FreePorts.PrivateLoopbackAddress()} -NoStart | Out-Null");
        const int display = 7;
        var hostPort = FreePorts.Next();
        var set = _ps.Run($"Set-HeadlessVm s1 -MemoryMB 96 -ProcessorCount 2 -Cpu qemu64 -KernelArgument 'quiet' -BootOrder c -MacAddress 52-54-00-AA-BB-CC " +
            $"-AddDiskPath d2.qcow2 -RemoveDiskPath d1.qcow2 -PortForward '{hostPort}:80' -VncDisplay {display} -PassThru");
        Assert.Empty(set.Errors);
        var vm = set.Output.Single();
        Assert.Equal(96, vm.Properties["MemoryMB"].Value);
        Assert.Equal(2, vm.Properties["ProcessorCount"].Value);
        Assert.Equal("52:54:00:aa:bb:cc", vm.Properties["MacAddress"].Value);
        Assert.Equal(new[] { _ps.Work("d2.qcow2") }, (IEnumerable<string>)vm.Properties["DiskPath"].Value!);
        Assert.Equal(new[] { $"127.0.0.1:{hostPort}->80" }, (IEnumerable<string>)vm.Properties["PortForward"].Value!);
        Assert.Equal(display, vm.Properties["VncDisplay"].Value);

        var started = _ps.Ok("Start-HeadlessVm s1 -Paused; Get-HeadlessVm s1").Single();
        var argv = ProcessInfo.CommandLine((int)started.Properties["ProcessId"].Value!)!.ToList();
        Assert.Equal("96", argv[argv.IndexOf("-m") + 1]);
        Assert.Equal("2", argv[argv.IndexOf("-smp") + 1]);
        Assert.Equal("qemu64", argv[argv.IndexOf("-cpu") + 1]);
        Assert.Contains(argv, a => a.Contains("mac=52:54:00:aa:bb:cc", StringComparison.Ordinal));
        Assert.Contains(argv, a => a.Contains($"file={_ps.Work("d2.qcow2")},format=qcow2", StringComparison.Ordinal));
        Assert.DoesNotContain(argv, a => a.Contains("d1.qcow2", StringComparison.Ordinal));
        Assert.Contains(argv, a => a.Contains($"hostfwd=tcp:127.0.0.1:{hostPort}-:80", StringComparison.Ordinal));
        Assert.Contains(argv, a => a.EndsWith($":{display},password=on", StringComparison.Ordinal));
    }

    [Fact]
    public void A_running_VM_takes_a_new_ISO_and_port_forwards_live_and_refuses_anything_else_without_changing_a_thing()
    {
        var created = _ps.Run("New-HeadlessVm r1 -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd -KernelArgument $cmdline -IsoPath $iso", TestGuest.Variables);
        Assert.Empty(created.Errors);
        _ps.Ok($"Wait-HeadlessVm r1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120 | Out-Null");
        var socket = _ps.Paths.ForVm("r1").QmpSocket;

        // A forward added live reaches the guest's httpd.
        var live = FreePorts.Next();
        var refusedPort = FreePorts.Next();
        var set = _ps.Run($"Set-HeadlessVm r1 -PortForward '{live}:80' -PassThru");
        Assert.Empty(set.Errors);
        Assert.Equal(new[] { $"127.0.0.1:{live}->80" }, (IEnumerable<string>)set.Output.Single().Properties["PortForward"].Value!);
        Assert.Contains(TestGuest.Http, _ps.Ok($"(Invoke-WebRequest http://127.0.0.1:{live}/ -TimeoutSec 20).Content").Single().ToString());

        // Memory needs the VM stopped: refused, and the forward list given with it is not applied either.
        var error = _ps.Refused($"Set-HeadlessVm r1 -MemoryMB 512 -PortForward '{refusedPort}:80'", "VmMustBeStopped", "r1", ErrorCategory.InvalidOperation);
        Assert.Contains("MemoryMB", error.Exception.Message, StringComparison.Ordinal);
        var same = _ps.Ok("Get-HeadlessVm r1").Single();
        Assert.Equal(256, same.Properties["MemoryMB"].Value);
        Assert.Equal(new[] { $"127.0.0.1:{live}->80" }, (IEnumerable<string>)same.Properties["PortForward"].Value!);
        Assert.False(Listening(refusedPort));
        _ps.Refused("Set-HeadlessVm r1 -NewName r2", "VmMustBeStopped", "r1", ErrorCategory.InvalidOperation);
        _ps.Refused("Rename-HeadlessVm r1 r2", "VmMustBeStopped", "r1", ErrorCategory.InvalidOperation);

        // The ISO comes out, then another goes in: qemu's own block list says so.
        _ps.Ok("Set-HeadlessVm r1 -IsoPath ''");
        Assert.Null(Cdrom(socket)["inserted"]);
        Assert.Null(_ps.Ok("(Get-HeadlessVm r1).IsoPath").SingleOrDefault()?.BaseObject);
        var other = _ps.Work("other.iso");
        File.Copy(TestGuest.Iso, other);
        _ps.Ok("Set-HeadlessVm r1 -IsoPath other.iso");
        Assert.Equal(other, Cdrom(socket)["inserted"]!["file"]!.GetValue<string>());

        // A forward qemu cannot open (the port is taken) undoes the ISO change made with it.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        _ps.Refused($"Set-HeadlessVm r1 -IsoPath '' -PortForward '{live}:80','{port}:22'", "PortForwardFailed", "r1", ErrorCategory.ResourceUnavailable);
        Assert.Equal(other, Cdrom(socket)["inserted"]!["file"]!.GetValue<string>());
        Assert.Equal(other, _ps.Ok("(Get-HeadlessVm r1).IsoPath").Single().ToString());

        // Removing every forward closes the port.
        _ps.Ok("Set-HeadlessVm r1 -PortForward @()");
        Assert.False(Listening(live));
        _ps.Ok("Stop-HeadlessVm r1 -Force");
    }

    [Fact]
    public void A_stopped_VM_is_renamed_with_its_folder_and_bad_settings_are_New_HeadlessVms_errors_with_the_VM_as_target()
    {
        _ps.Ok("New-HeadlessVmDisk d.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVm n1 -Accelerator Tcg -MemoryMB 64 -DiskPath d.qcow2 -NoStart | Out-Null; New-HeadlessVm other -Accelerator Tcg -MemoryMB 64 -NoStart | Out-Null");
        File.WriteAllText(_ps.Paths.ForVm("n1").SerialLog, "last boot\n");

        _ps.Refused("Set-HeadlessVm n1 -MemoryMB 8", "InvalidMemorySize", "n1", ErrorCategory.InvalidArgument);
        _ps.Refused("Set-HeadlessVm n1 -BootOrder xyz", "InvalidBootOrder", "n1", ErrorCategory.InvalidArgument);
        _ps.Refused("Set-HeadlessVm n1 -MacAddress 01:00:00:00:00:01", "InvalidMacAddress", "n1", ErrorCategory.InvalidArgument);
        _ps.Refused("Set-HeadlessVm n1 -RemoveDiskPath nosuch.qcow2", "DiskNotAttached", "n1", ErrorCategory.ObjectNotFound);
        _ps.Refused("Set-HeadlessVm n1 -AddDiskPath d.qcow2", "DiskAlreadyAttached", "n1", ErrorCategory.ResourceExists);
        _ps.Refused("Rename-HeadlessVm n1 other", "VmAlreadyExists", "other", ErrorCategory.ResourceExists);
        _ps.Refused("Rename-HeadlessVm n1 'bad/name'", "InvalidVmName", "bad/name", ErrorCategory.InvalidArgument);
        Assert.Equal(64, _ps.Ok("(Get-HeadlessVm n1).MemoryMB").Single().BaseObject);

        var renamed = _ps.Ok("Get-HeadlessVm n1 | Rename-HeadlessVm -NewName n2 -PassThru").Single();
        Assert.Equal("n2", renamed.Properties["Name"].Value);
        Assert.Equal(new[] { "n2", "other" }, _ps.Ok("(Get-HeadlessVm).Name").Select(o => o.ToString()));
        Assert.False(Directory.Exists(_ps.Paths.ForVm("n1").Folder));
        Assert.Equal(new[] { "last boot" }, _ps.Ok("Get-HeadlessVmSerialLog n2").Select(o => o.ToString()));
        Assert.Equal(new[] { _ps.Work("d.qcow2") }, (IEnumerable<string>)renamed.Properties["DiskPath"].Value!);

        _ps.Ok("Set-HeadlessVm n2 -MemoryMB 80 -WhatIf");
        Assert.Equal(64, _ps.Ok("(Get-HeadlessVm n2).MemoryMB").Single().BaseObject);
        // A libvirt domain HeadlessVm did not create (the test driver's own) is not rebuilt from HeadlessVm's settings.
        _ps.Refused("Set-HeadlessVm test -ConnectionUri test:///default -MemoryMB 80", "VmIsExternal", "test", ErrorCategory.InvalidOperation);
    }

    private static JsonObject Cdrom(string socket) =>
        QmpClient.ExecuteOnce(socket, TimeSpan.FromSeconds(10), null, CancellationToken.None, "query-block", null)!.AsArray()
            .OfType<JsonObject>().Single(d => d["device"]!.GetValue<string>() == "cdrom0");

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
