using System.Management.Automation;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// Other hosts, as real as one machine allows: tests/hosts/hostbed.sh's h1 and h2, each its own network and mount
/// namespace with its own libvirtd and sshd, reached over ssh (qemu+ssh:// with the bed's key and known_hosts).
/// Every domain a test defines on them it undefines by name.
/// </summary>
[Collection("PowerShell")]
public sealed class RemoteHostTests : IDisposable
{
    private readonly PowerShellSession _ps = new();
    private readonly HostBed _bed;
    private readonly List<(string Host, string Name)> _domains = new();

    public RemoteHostTests(LibvirtDaemons daemons)
    {
        _bed = daemons.EnsureBed();
        foreach (var file in new[] { "vmlinuz", "initrd.img" })
        {
            var there = Path.Combine(_bed.Images("h1"), file);
            if (!File.Exists(there))
            {
                File.Copy(Path.Combine(TestGuest.Directory, file), there);
            }
        }

        _ps.Ok($"Connect-HeadlessVmHost h1 -Uri '{_bed.Uri("h1")}'; Connect-HeadlessVmHost h2 -Uri '{_bed.Uri("h2")}' | Out-Null");
    }

    public void Dispose()
    {
        try
        {
            foreach (var host in _domains.Select(d => d.Host).Distinct())
            {
                using var libvirt = LibvirtConnection.Open(_bed.Uri(host));
                foreach (var (_, name) in _domains.Where(d => d.Host == host && libvirt.Find(d.Name) is not null))
                {
                    if (libvirt.GetState(name).State != LibvirtDomainState.Shutoff)
                    {
                        libvirt.Destroy(name);
                    }

                    libvirt.Undefine(name);
                }
            }
        }
        finally
        {
            _ps.Dispose();
        }
    }

    private string Name(string host)
    {
        var name = "hvm-rh-" + Guid.NewGuid().ToString("N")[..6];
        _domains.Add((host, name));
        return name;
    }

    private static string Id(ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    [Fact]
    public void A_VM_is_made_on_a_host_over_ssh_its_boot_is_read_from_this_session_and_it_stops_there_and_its_console_is_refused()
    {
        var name = Name("h1");
        var other = Name("h2");
        _ps.Ok($"New-HeadlessVm {other} -ComputerName h2 -MemoryMB 32 -Accelerator Tcg -NoStart | Out-Null; New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null");
        var ready = _ps.Run(
            $"New-HeadlessVm {name} -ComputerName h1 -MemoryMB 256 -Accelerator Tcg -KernelPath /var/lib/libvirt/images/vmlinuz " +
            $"-InitrdPath /var/lib/libvirt/images/initrd.img -KernelArgument '{TestGuest.KernelArguments}' | Wait-HeadlessVm -ForText '{TestGuest.Ready}' -TimeoutSec 240");
        Assert.True(ready.Errors.Count == 0, string.Join("\n", ready.Errors));
        Assert.Contains(_ps.Ok($"Get-HeadlessVmSerialLog {name} -ComputerName h1").Select(o => o.ToString()), l => l.Contains("] Linux version ", StringComparison.Ordinal));

        var vms = _ps.Ok("Get-HeadlessVm -ComputerName *").Select(o => (VmInfo)o.BaseObject).ToList();
        Assert.Contains(vms, v => v is { ComputerName: "h1", State: VmState.Running, ProcessId: null } && v.Name == name);
        Assert.Contains(vms, v => v.ComputerName == "h2" && v.Name == other);
        Assert.Contains(vms, v => v.ComputerName == "local" && v.Name == "s1");
        Assert.Matches(@"(?m)^Host\s+Name", string.Concat(_ps.Ok("Get-HeadlessVm -ComputerName * | Out-String -Width 120").Select(o => o.ToString())));

        // Its VNC listens on h1's own loopback: no bridge from here yet, and a clear error says so.
        var refused = Assert.Single(_ps.Run($"Get-HeadlessVm {name} -ComputerName h1 | Start-VncBridge").Errors);
        Assert.Equal(("ConsoleNeedsTunnel", ErrorCategory.NotImplemented, (object)name), (Id(refused), refused.CategoryInfo.Category, refused.TargetObject));
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.Equal("ConsoleNeedsTunnel", Id(Assert.Single(_ps.Run($"Get-VmConsoleUrl {name} -ComputerName h1").Errors)));

        var stop = _ps.Run("Get-HeadlessVm -ComputerName h1 | Stop-HeadlessVm -TimeoutSec 90 -PassThru");
        Assert.Empty(stop.Errors);
        Assert.Empty(stop.Warnings);
        Assert.Equal(VmState.Stopped, ((VmInfo)Assert.Single(stop.Output).BaseObject).State);
        Assert.Contains(TestGuest.PowerOff, string.Join('\n', _ps.Ok($"Get-HeadlessVmSerialLog {name} -ComputerName h1")));

        _ps.Ok($"Remove-HeadlessVm {name} -ComputerName h1");
        Assert.Equal("VmNotFound", Id(Assert.Single(_ps.Run($"Get-HeadlessVm {name} -ComputerName h1").Errors)));
    }

    [Fact]
    public void A_host_whose_libvirtd_is_killed_after_it_was_connected_is_one_error_and_the_local_VMs_and_the_other_host_still_list()
    {
        var name = Name("h1");
        _ps.Ok($"New-HeadlessVm {name} -ComputerName h1 -MemoryMB 32 -Accelerator Tcg -NoStart | Out-Null; New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null");
        Assert.Empty(_ps.Run("Get-HeadlessVm -ComputerName h1, h2").Errors);
        _bed.Run("kill-libvirtd", "h2");
        try
        {
            var r = _ps.Run("Get-HeadlessVm -ComputerName local, h1, h2");
            Assert.Equal(new[] { "s1", name }, r.Output.Select(o => ((VmInfo)o.BaseObject).Name));
            var error = Assert.Single(r.Errors);
            Assert.Equal("h2", error.TargetObject);
            Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
            Assert.Contains(Id(error), new[] { "HostConnectionLost", "HostUnreachable" });
        }
        finally
        {
            _bed.Run("start-libvirtd", "h2");
        }

        // The next command opens a new connection to the restarted daemon.
        Assert.Empty(_ps.Run("Get-HeadlessVm -ComputerName h2").Errors);
    }

    [Fact]
    public void A_refused_login_a_relative_path_and_a_path_the_host_does_not_have_are_errors_that_leave_nothing_there()
    {
        _bed.Run("deny-key", "h1");
        try
        {
            _ps.Ok("Disconnect-HeadlessVmHost h1");
            var denied = Assert.Single(_ps.Run("Get-HeadlessVm -ComputerName h1").Errors);
            Assert.Equal(("HostAuthenticationFailed", ErrorCategory.PermissionDenied, (object)"h1"), (Id(denied), denied.CategoryInfo.Category, denied.TargetObject));
            var checks = _ps.Ok("Test-HeadlessVmHost h1").Select(o => (HostCheck)o.BaseObject).ToDictionary(c => c.Check);
            Assert.Equal(HostCheckStatus.Passed, checks["Reachable"].Status);
            Assert.Equal(HostCheckStatus.Failed, checks["Authenticated"].Status);
            Assert.Contains("authorized_keys", checks["Authenticated"].Remedy, StringComparison.Ordinal);
            Assert.Equal(HostCheckStatus.NotRun, checks["Daemon"].Status);
        }
        finally
        {
            _bed.Run("allow-key", "h1");
        }

        // An ssh that does not know h1's key (an empty known_hosts, strict checking as the bed's): nothing is asked.
        var strangers = Path.Combine(_ps.WorkFolder, "ssh-no-known-hosts");
        File.WriteAllText(strangers, $"#!/bin/sh\nexec /usr/bin/ssh -F {_bed.Root}/ssh_config -o UserKnownHostsFile=/dev/null \"$@\"\n");
        File.SetUnixFileMode(strangers, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unknownKeyUri = System.Text.RegularExpressions.Regex.Replace(_bed.Uri("h1"), "command=[^&]+", "command=" + strangers);
        var untrusted = Assert.Single(_ps.Run($"Get-HeadlessVm -ConnectionUri '{unknownKeyUri}'").Errors);
        Assert.Equal(("HostKeyNotTrusted", ErrorCategory.PermissionDenied), (Id(untrusted), untrusted.CategoryInfo.Category));
        Assert.Contains("known_hosts", untrusted.Exception.Message, StringComparison.Ordinal);

        var relative = Name("h1");
        var notAbsolute = Assert.Single(_ps.Run($"New-HeadlessVm {relative} -ComputerName h1 -MemoryMB 32 -KernelPath vmlinuz -NoStart").Errors);
        Assert.Equal(("PathNotAbsolute", (object)relative), (Id(notAbsolute), notAbsolute.TargetObject));

        var missing = Name("h1");
        var notThere = Assert.Single(_ps.Run($"New-HeadlessVm {missing} -ComputerName h1 -MemoryMB 32 -DiskPath /var/lib/libvirt/images/absent.qcow2").Errors);
        Assert.Equal(("DomainFileNotFound", ErrorCategory.ObjectNotFound, (object)missing), (Id(notThere), notThere.CategoryInfo.Category, notThere.TargetObject));
        Assert.Contains("/var/lib/libvirt/images/absent.qcow2", notThere.Exception.Message, StringComparison.Ordinal);

        var left = _ps.Ok("Get-HeadlessVm -ComputerName h1 | ForEach-Object Name").Select(o => o.ToString());
        Assert.DoesNotContain(relative, left);
        Assert.DoesNotContain(missing, left);
    }

    [Fact]
    public void The_serial_log_of_a_boot_this_session_did_not_start_on_another_host_is_an_error_naming_the_file_there()
    {
        // A HeadlessVm domain with nothing to boot, started by someone else (virsh over the same ssh route).
        var name = Name("h1");
        _ps.Ok($"New-HeadlessVm {name} -ComputerName h1 -MemoryMB 32 -Accelerator Tcg -NoStart | Out-Null");
        using (var libvirt = LibvirtConnection.Open(_bed.Uri("h1")))
        {
            libvirt.Start(name);
        }

        var error = Assert.Single(_ps.Run($"Get-HeadlessVmSerialLog {name} -ComputerName h1").Errors);
        Assert.Equal(("SerialLogNotReachable", ErrorCategory.ResourceUnavailable, (object)name), (Id(error), error.CategoryInfo.Category, error.TargetObject));
        Assert.Contains($"/var/log/libvirt/qemu/{name}-serial.log on h1", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("Stopped", _ps.Ok($"Stop-HeadlessVm {name} -ComputerName h1 -Force -PassThru | ForEach-Object State").Single().ToString());
    }
}
