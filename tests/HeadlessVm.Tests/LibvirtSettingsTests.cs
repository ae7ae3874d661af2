using System.Management.Automation;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// Set-HeadlessVm and Rename-HeadlessVm on this machine's real libvirtd (qemu:///system): a stopped domain starts with
/// what was set (the guest's own kernel counts the memory and CPUs), keeps its UUID, VNC password and creation date, and
/// is renamed with its serial log; a running one takes an ISO and port forwards live (qemu's own block list and a real
/// HTTP request through the forward say so) and refuses everything else with its definition byte for byte as it was.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtSettingsTests : IDisposable
{
    private const string Uri = LibvirtDaemons.LocalUri;
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);

    private readonly LibvirtBed _bed;
    private PowerShellSession Ps => _bed.Ps;

    public LibvirtSettingsTests(LibvirtDaemons daemons) => _bed = new LibvirtBed(daemons, "hvm-ls-");

    public void Dispose() => _bed.Dispose();

    private string NewGuest(string name, int memoryMB, string extra = "") =>
        $"New-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB {memoryMB} -Accelerator Tcg -KernelPath '{_bed.Images}/vmlinuz' " +
        $"-InitrdPath '{_bed.Images}/initrd.img' -KernelArgument '{TestGuest.KernelArguments}' {extra}";

    [Fact]
    public void A_stopped_domain_boots_with_the_memory_and_CPUs_set_keeps_its_identity_and_is_renamed_with_its_serial_log()
    {
        var name = _bed.Name();
        Ps.Ok(NewGuest(name, 128, "-NoStart") + " | Out-Null");
        var before = DomainXml.Parse(_bed.Libvirt.GetXml(name, secure: true, inactive: true), dumpedSecure: true);

        // New-HeadlessVm's checks, with the VM as target, and the definition left byte for byte as it was.
        var xml = _bed.Libvirt.GetXml(name, secure: true, inactive: true);
        Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 8", "InvalidMemorySize", name, ErrorCategory.InvalidArgument);
        Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -BootOrder xyz", "InvalidBootOrder", name, ErrorCategory.InvalidArgument);
        Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -RemoveDiskPath '{_bed.Images}/none.qcow2'", "DiskNotAttached", name, ErrorCategory.ObjectNotFound);
        Assert.Equal(xml, _bed.Libvirt.GetXml(name, secure: true, inactive: true));

        var set = Ps.Run($"Set-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 192 -ProcessorCount 2 -PassThru");
        Assert.Empty(set.Errors);
        var vm = (VmInfo)Assert.Single(set.Output).BaseObject;
        Assert.Equal((192, 2, ManagedBy.HeadlessVm), (vm.MemoryMB, vm.ProcessorCount, vm.ManagedBy));
        var after = DomainXml.Parse(_bed.Libvirt.GetXml(name, secure: true, inactive: true), dumpedSecure: true);
        Assert.Equal(before.Uuid, after.Uuid);
        Assert.Equal(before.Vnc!.Password, after.Vnc!.Password);
        Assert.Equal(before.Metadata!.Created, after.Metadata!.Created);
        Assert.Equal((192UL * 1024, 2), (after.MemoryKiB, after.VirtualCpus));

        // The guest's kernel counts them: two CPUs brought up, and a total of memory above the 128 MiB it had.
        Ps.Ok($"Start-HeadlessVm {name} -ConnectionUri {Uri}; Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '{TestGuest.Ready}' -TimeoutSec {Boot.TotalSeconds} | Out-Null");
        var boot = string.Join('\n', Ps.Ok($"Get-HeadlessVmSerialLog {name} -ConnectionUri {Uri}").Select(o => o.ToString()));
        Assert.Matches(@"Brought up 1 node, 2 CPUs", boot);
        var total = int.Parse(Regex.Match(boot, @"Memory: \d+K/(\d+)K available").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(total, 150 * 1024, 192 * 1024);

        // A running domain is not renamed; a stopped one is, with the same UUID and its last boot's serial log.
        Ps.Refused($"Rename-HeadlessVm {name} -ConnectionUri {Uri} -NewName {name}-x", "VmMustBeStopped", name, ErrorCategory.InvalidOperation);
        Ps.Ok($"Stop-HeadlessVm {name} -ConnectionUri {Uri} -Force");
        var other = _bed.Name();
        Ps.Ok(NewGuest(other, 64, "-NoStart") + " | Out-Null");
        Ps.Refused($"Rename-HeadlessVm {name} -ConnectionUri {Uri} -NewName {other}", "VmAlreadyExists", other, ErrorCategory.ResourceExists);

        var renamed = _bed.Name();
        var moved = (VmInfo)Ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri} | Rename-HeadlessVm -NewName {renamed} -PassThru").Single().BaseObject;
        Assert.Equal(renamed, moved.Name);
        Assert.Null(_bed.Libvirt.Find(name));
        Assert.Equal(before.Uuid, _bed.Libvirt.Find(renamed)!.Uuid);
        Assert.False(File.Exists($"/var/log/libvirt/qemu/{name}-serial.log"));
        Assert.Equal($"/var/log/libvirt/qemu/{renamed}-serial.log", DomainVms.SerialLogFile(DomainXml.Parse(_bed.Libvirt.GetXml(renamed, inactive: true))));
        Assert.Contains(Ps.Ok($"Get-HeadlessVmSerialLog {renamed} -ConnectionUri {Uri}").Select(o => o.ToString()), l => l.Contains(TestGuest.Ready, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_running_domain_takes_an_ISO_and_port_forwards_live_and_refuses_anything_else_with_its_definition_unchanged()
    {
        var name = _bed.Name();
        File.Copy(TestGuest.Iso, Path.Combine(_bed.Images, "guest.iso"));
        File.Copy(TestGuest.Iso, Path.Combine(_bed.Images, "other.iso"));
        Ps.Ok(NewGuest(name, 256, $"-IsoPath '{_bed.Images}/guest.iso'") +
            $" | Wait-HeadlessVm -ForText '{TestGuest.Ready}' -TimeoutSec {Boot.TotalSeconds} | Out-Null");

        // A forward added live reaches the guest's httpd, and the VM lists it.
        var live = LibvirtBed.FreePort();
        var set = Ps.Run($"Set-HeadlessVm {name} -ConnectionUri {Uri} -PortForward '{live}:80' -PassThru");
        Assert.Empty(set.Errors);
        Assert.Equal(new[] { $"127.0.0.1:{live}->80" }, ((VmInfo)Assert.Single(set.Output).BaseObject).PortForward);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            Assert.Contains(TestGuest.Http, await http.GetStringAsync($"http://127.0.0.1:{live}/"), StringComparison.Ordinal);
        }

        // Memory needs it stopped: refused, and the forward given with it is not made; both definitions are as they were.
        var running = _bed.Libvirt.GetXml(name, secure: true);
        var persistent = _bed.Libvirt.GetXml(name, secure: true, inactive: true);
        var refusedPort = LibvirtBed.FreePort();
        var error = Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 512 -PortForward '{refusedPort}:80'", "VmMustBeStopped", name, ErrorCategory.InvalidOperation);
        Assert.Contains("MemoryMB", error.Exception.Message, StringComparison.Ordinal);
        Ps.Refused($"Rename-HeadlessVm {name} -ConnectionUri {Uri} -NewName {name}-x", "VmMustBeStopped", name, ErrorCategory.InvalidOperation);
        Assert.Equal(running, _bed.Libvirt.GetXml(name, secure: true));
        Assert.Equal(persistent, _bed.Libvirt.GetXml(name, secure: true, inactive: true));
        Assert.False(LibvirtBed.Listening(refusedPort));

        // The ISO comes out, then another goes in: qemu's own block list says so, and the definition keeps it for the next boot.
        Ps.Ok($"Set-HeadlessVm {name} -ConnectionUri {Uri} -IsoPath ''");
        Assert.DoesNotContain("guest.iso", Block(name), StringComparison.Ordinal);
        Assert.Null(((VmInfo)Ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri}").Single().BaseObject).IsoPath);
        Ps.Ok($"Set-HeadlessVm {name} -ConnectionUri {Uri} -IsoPath '{_bed.Images}/other.iso'");
        Assert.Contains($"{_bed.Images}/other.iso", Block(name), StringComparison.Ordinal);
        Assert.Equal($"{_bed.Images}/other.iso", DomainVms.ToSpec(DomainXml.Parse(_bed.Libvirt.GetXml(name, inactive: true))).IsoPath);

        // A forward qemu cannot open (the port is taken) undoes the ISO change made with it.
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -IsoPath '' -PortForward '{live}:80','{port}:22'", "PortForwardFailed", name, ErrorCategory.ResourceUnavailable);
        Assert.Contains($"{_bed.Images}/other.iso", Block(name), StringComparison.Ordinal);
        Assert.Equal(new[] { $"127.0.0.1:{live}->80" }, ((VmInfo)Ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri}").Single().BaseObject).PortForward);

        // Removing every forward closes the port, and the next start adds none.
        Ps.Ok($"Set-HeadlessVm {name} -ConnectionUri {Uri} -PortForward @()");
        Assert.False(LibvirtBed.Listening(live));
        Assert.Null(DomainXml.Parse(_bed.Libvirt.GetXml(name, inactive: true)).Metadata!.PortForwards.FirstOrDefault());
        Ps.Ok($"Stop-HeadlessVm {name} -ConnectionUri {Uri} -Force");
    }

    [Fact]
    public void A_domain_HeadlessVm_did_not_create_is_not_rebuilt()
    {
        var name = _bed.Name();
        _bed.DefineExternal(name);
        var xml = _bed.Libvirt.GetXml(name, inactive: true);
        var error = Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 64", "VmIsExternal", name, ErrorCategory.InvalidOperation);
        Assert.Contains("virsh edit", error.Exception.Message, StringComparison.Ordinal);
        Ps.Refused($"Copy-HeadlessVm {name} {name}-c -ConnectionUri {Uri}", "VmIsExternal", name, ErrorCategory.InvalidOperation);
        Assert.Equal(xml, _bed.Libvirt.GetXml(name, inactive: true));
        Assert.Null(_bed.Libvirt.Find(name + "-c"));
    }

    /// <summary>qemu's own list of block devices and their files (HMP info block).</summary>
    private string Block(string name) => _bed.Libvirt.QemuMonitorCommand(name, "info block", humanMonitor: true);
}
