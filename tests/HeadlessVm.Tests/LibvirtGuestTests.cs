using System.Management.Automation;
using System.Text.RegularExpressions;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// The cmdlets on this machine's real libvirtd (qemu:///system, QEMU under TCG): the test guest booted as a libvirt
/// domain, and a domain defined with plain virsh. Images live under /var/lib/libvirt/images, where the libvirt-qemu
/// user can read them; every domain a test defines it undefines by name, and its logs go with it.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtGuestTests : IDisposable
{
    private const string Uri = LibvirtDaemons.LocalUri;
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);

    private readonly PowerShellSession _ps = new();
    private readonly SystemDomains _system;

    public LibvirtGuestTests(LibvirtDaemons daemons) => _system = new SystemDomains(daemons);

    private LibvirtConnection Libvirt => _system.Libvirt;

    private string Images => _system.Images;

    public void Dispose()
    {
        using (_ps)
        {
            _system.Dispose();
        }
    }

    private string Name() => _system.Name("lg");

    [Fact]
    public async Task The_test_guest_boots_through_libvirt_types_shows_its_screen_in_chromium_and_stops_on_the_power_button()
    {
        var name = Name();
        var port = FreePort();
        var ready = _ps.Run(
            $"New-HeadlessVm {name} -ConnectionUri {Uri} -MemoryMB 256 -Accelerator Tcg -KernelPath '{Images}/vmlinuz' -InitrdPath '{Images}/initrd.img' " +
            $"-KernelArgument '{TestGuest.KernelArguments}' -PortForward '{port}:80' | Wait-HeadlessVm -ForText '{TestGuest.Ready}' -TimeoutSec {Boot.TotalSeconds}");
        Assert.True(ready.Errors.Count == 0, string.Join("\n", ready.Errors));
        Assert.Contains(TestGuest.Ready, Assert.Single(ready.Output).ToString(), StringComparison.Ordinal);

        var vm = (VmInfo)_ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri}").Single().BaseObject;
        Assert.Equal((VmState.Running, "localhost", ManagedBy.HeadlessVm), (vm.State, vm.ComputerName, vm.ManagedBy));
        Assert.NotNull(vm.ProcessId);
        Assert.NotNull(vm.Uptime);
        Assert.True(vm.VncPort >= 5900, $"VNC port {vm.VncPort}");

        // The password is in the domain's secure definition and on no command line on this machine.
        var password = Regex.Match(Libvirt.GetXml(name, secure: true), "passwd=['\"]([^'\"]+)['\"]").Groups[1].Value;
        Assert.Equal(8, password.Length);
        var qemuArgv = string.Join(' ', Core.Processes.ProcessInfo.CommandLine(vm.ProcessId!.Value)!);
        Assert.Contains($"guest={name},", qemuArgv, StringComparison.Ordinal);
        Assert.DoesNotContain(Core.Processes.ProcessInfo.AllIds(), pid =>
            (Core.Processes.ProcessInfo.CommandLine(pid) ?? Array.Empty<string>()).Any(a => a.Contains(password, StringComparison.Ordinal)));

        // The serial console was recorded from the first line; libvirt's log file on this machine has the boot too.
        Assert.Contains(_ps.Ok($"Get-HeadlessVmSerialLog {name} -ConnectionUri {Uri}").Select(o => o.ToString()), l => l.Contains("] Linux version ", StringComparison.Ordinal));
        Assert.Contains(TestGuest.Ready, File.ReadAllText($"/var/log/libvirt/qemu/{name}-serial.log"), StringComparison.Ordinal);

        // Forwards went in through the monitor; keys reach the guest, which echoes them on its serial port.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            Assert.Contains(TestGuest.Http, await http.GetStringAsync($"http://127.0.0.1:{port}/"), StringComparison.Ordinal);
        }

        _ps.Ok($"Send-HeadlessVmKey {name} -ConnectionUri {Uri} -Text \"hello`n\"");
        var typed = _ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '{TestGuest.KeyPrefix}hello' -NewOutputOnly -TimeoutSec 60").Single().ToString();
        Assert.EndsWith("hello", typed, StringComparison.Ordinal);

        var shot = (FileInfo)_ps.Ok($"Save-VmScreenshot {name} -ConnectionUri {Uri}").Single().BaseObject;
        Assert.StartsWith("localhost~" + name, shot.Name, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(shot.FullName).Take(4));

        // The console in Chromium, through the same console server as the folder store's VMs.
        var url = (Uri)_ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri} | Start-VncBridge -WebPort 16095 | Get-VmConsoleUrl").Single().BaseObject;
        Assert.EndsWith("#password=" + password, url.ToString(), StringComparison.Ordinal);
        Assert.Equal($"localhost~{name}", _ps.Ok("Get-VncBridge | ForEach-Object Name").Single().ToString());
        await using (var chromium = await HeadlessChromium.LaunchAsync())
        {
            var page = await chromium.OpenAsync(url);
            await HeadlessChromium.WaitConnectedAsync(page);
            Assert.StartsWith("Connected (unencrypted)", (await page.TextContentAsync("#noVNC_status") ?? string.Empty).Trim());
        }

        // The ACPI button: the guest powers itself off in time, so there is no fallback warning; its bridge goes with it.
        var stop = _ps.Run($"Get-HeadlessVm {name} -ConnectionUri {Uri} | Stop-HeadlessVm -TimeoutSec 90 -PassThru");
        Assert.Empty(stop.Errors);
        Assert.Empty(stop.Warnings);
        Assert.Equal(VmState.Stopped, ((VmInfo)Assert.Single(stop.Output).BaseObject).State);
        Assert.Contains(TestGuest.PowerOff, File.ReadAllText($"/var/log/libvirt/qemu/{name}-serial.log"), StringComparison.Ordinal);
        Assert.Empty(_ps.Ok("Get-VncBridge"));

        _ps.Ok($"Remove-HeadlessVm {name} -ConnectionUri {Uri}");
        Assert.Null(Libvirt.Find(name));
        Assert.False(File.Exists($"/var/log/libvirt/qemu/{name}-serial.log"));
        Assert.True(File.Exists(Path.Combine(Images, "vmlinuz")), "removing a VM never deletes its files");
    }

    [Fact]
    public async Task A_domain_defined_with_virsh_is_External_its_console_opens_without_a_password_and_removing_it_needs_Force()
    {
        // No HeadlessVm metadata, a VNC server with no password, nothing to boot: the BIOS screen is enough to look at.
        var name = Name();
        var xml = Path.Combine(_ps.WorkFolder, "external.xml");
        await File.WriteAllTextAsync(xml, $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os>" +
            "<devices><graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics></devices></domain>");
        var virsh = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("virsh") { ArgumentList = { "-c", Uri, "define", xml }, RedirectStandardOutput = true })!;
        Assert.True(virsh.WaitForExit(30_000) && virsh.ExitCode == 0, "virsh define failed");

        var listed = (VmInfo)_ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri}").Single().BaseObject;
        Assert.Equal((ManagedBy.External, VmState.Stopped), (listed.ManagedBy, listed.State));
        Assert.Null(listed.Created);
        Assert.Null(listed.VncPort);

        _ps.Ok($"Start-HeadlessVm {name} -ConnectionUri {Uri}");
        var start = _ps.Run($"Start-VncBridge {name} -ConnectionUri {Uri} -WebPort 16096");
        Assert.Empty(start.Errors);
        Assert.Contains(start.Warnings, w => w.Contains("asks for no password", StringComparison.Ordinal) && w.Contains("token", StringComparison.Ordinal));
        var url = (Uri)_ps.Ok($"Get-VmConsoleUrl {name} -ConnectionUri {Uri}").Single().BaseObject;
        Assert.Equal(string.Empty, url.Fragment);
        await using (var chromium = await HeadlessChromium.LaunchAsync())
        {
            var page = await chromium.OpenAsync(url);
            await HeadlessChromium.WaitConnectedAsync(page);
        }

        var refused = Assert.Single(_ps.Run($"Remove-HeadlessVm {name} -ConnectionUri {Uri}").Errors);
        Assert.Equal("VmIsExternal", refused.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(name, refused.TargetObject);
        Assert.NotNull(Libvirt.Find(name));
        _ps.Ok($"Remove-HeadlessVm {name} -ConnectionUri {Uri} -Force");
        Assert.Null(Libvirt.Find(name));
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void Files_the_host_does_not_have_or_its_qemu_user_cannot_read_fail_the_start_and_leave_no_domain()
    {
        var missing = Name();
        var error = Assert.Single(_ps.Run($"New-HeadlessVm {missing} -ConnectionUri {Uri} -MemoryMB 64 -DiskPath '{Images}/absent.qcow2'").Errors);
        Assert.Equal(("DomainFileNotFound", ErrorCategory.ObjectNotFound, (object)missing), (error.FullyQualifiedErrorId.Split(',')[0], error.CategoryInfo.Category, error.TargetObject));
        Assert.Contains($"{Images}/absent.qcow2", error.Exception.Message, StringComparison.Ordinal);
        Assert.Null(Libvirt.Find(missing));

        // A private folder (0700, root) hides the kernel from libvirt-qemu.
        var hidden = Directory.CreateTempSubdirectory("hvm-private-");
        try
        {
            File.Copy(TestGuest.Kernel, Path.Combine(hidden.FullName, "vmlinuz"));
            var denied = Name();
            var refused = Assert.Single(_ps.Run($"New-HeadlessVm {denied} -ConnectionUri {Uri} -MemoryMB 64 -KernelPath '{hidden.FullName}/vmlinuz'").Errors);
            Assert.Equal(("DomainFileAccessDenied", ErrorCategory.PermissionDenied), (refused.FullyQualifiedErrorId.Split(',')[0], refused.CategoryInfo.Category));
            Assert.Contains("libvirt-qemu", refused.Exception.Message, StringComparison.Ordinal);
            Assert.Null(Libvirt.Find(denied));
        }
        finally
        {
            hidden.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
