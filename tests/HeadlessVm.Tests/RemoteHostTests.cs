using System.Management.Automation;
using System.Text.Json;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace HeadlessVm.Tests;

/// <summary>
/// Other hosts, as real as one machine allows: tests/hosts/hostbed.sh's h1 and h2, each its own network and mount
/// namespace with its own libvirtd and sshd, reached over ssh (qemu+ssh:// with the bed's key and known_hosts); their
/// consoles come through ssh tunnels (RemoteConsoleTests has the tunnels' own cases). Every domain a test defines on them
/// it undefines by name.
/// </summary>
[Collection("PowerShell")]
public sealed class RemoteHostTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    /// <summary>The console server's port for this test: one the kernel picks, so that other test runs never meet it.</summary>
    private readonly int _web = FreePorts.Next();
    private readonly HostBed _bed;
    private readonly BedDomains _domains;
    private readonly ITestOutputHelper _output;

    public RemoteHostTests(LibvirtDaemons daemons, ITestOutputHelper output)
    {
        _output = output;
        _bed = daemons.EnsureBed();
        _domains = new BedDomains(_bed);
        _domains.CopyGuest("h1", "h2");
        _ps.Ok($"Connect-HeadlessVmHost h1 -Uri '{_bed.Uri("h1")}'; Connect-HeadlessVmHost h2 -Uri '{_bed.Uri("h2")}' | Out-Null");
    }

    public void Dispose()
    {
        try
        {
            _domains.Dispose();
        }
        finally
        {
            _ps.Dispose();
        }
    }

    private string Name(string host) => _domains.Name(host);

    private static string Id(ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

    [Fact]
    public async Task A_VM_named_the_same_on_two_hosts_boots_on_each_shows_its_own_screen_in_chromium_and_stops_on_its_own_host()
    {
        var name = _domains.Name("h1", "h2");
        _ps.Ok("New-HeadlessVm s1 -MemoryMB 64 -Accelerator Tcg -NoStart | Out-Null");
        const string media = "-MemoryMB 256 -Accelerator Tcg -KernelPath /var/lib/libvirt/images/vmlinuz -InitrdPath /var/lib/libvirt/images/initrd.img";
        _ps.Ok($"New-HeadlessVm {name} -ComputerName h1 {media} -KernelArgument '{TestGuest.KernelArguments}' | Out-Null; " +
            $"New-HeadlessVm {name} -ComputerName h2 {media} -KernelArgument '{TestGuest.KernelArguments}' | Out-Null");
        var ready = _ps.Run($"Get-HeadlessVm {name} -ComputerName h1, h2 | Wait-HeadlessVm -ForText '{TestGuest.Ready}' -TimeoutSec 240");
        Assert.True(ready.Errors.Count == 0, string.Join("\n", ready.Errors));
        Assert.Contains(_ps.Ok($"Get-HeadlessVmSerialLog {name} -ComputerName h1").Select(o => o.ToString()), l => l.Contains("] Linux version ", StringComparison.Ordinal));

        // Each VM is listed with its host; a name on two hosts is two VMs.
        var vms = _ps.Ok("Get-HeadlessVm -ComputerName *").Select(o => (VmInfo)o.BaseObject).ToList();
        Assert.Contains(vms, v => v is { ComputerName: "h1", State: VmState.Running, ProcessId: null } && v.Name == name);
        Assert.Contains(vms, v => v is { ComputerName: "h2", State: VmState.Running } && v.Name == name);
        Assert.Contains(vms, v => v.ComputerName == "local" && v.Name == "s1");
        Assert.Matches(@"(?m)^Host\s+Name", string.Concat(_ps.Ok("Get-HeadlessVm -ComputerName * | Out-String -Width 120").Select(o => o.ToString())));

        // A banner of its own on each guest's screen: lines typed on its keyboard, which the guest echoes there (about 1% of
        // the screen a line). One line at a time, each waited for: a busy TCG guest drops keys that arrive faster than it reads them.
        var hashes = new string('#', 60);
        for (var line = 1; line <= 5; line++)
        {
            _ps.Ok($"Send-HeadlessVmKey {name} -ComputerName h1 -HoldTimeMs 20 -Text \"h1-{line}{hashes}`n\"");
            _ps.Ok($"Get-HeadlessVm {name} -ComputerName h1 | Wait-HeadlessVm -ForText 'HEADLESSVM-GUEST-KEY: h1-{line}{hashes}' -TimeoutSec 60");
        }

        _ps.Ok($"Send-HeadlessVmKey {name} -ComputerName h2 -HoldTimeMs 20 -Text \"h2`n\"");
        _ps.Ok($"Get-HeadlessVm {name} -ComputerName h2 | Wait-HeadlessVm -ForText 'HEADLESSVM-GUEST-KEY: h2' -TimeoutSec 60");

        // One console each, through its host's ssh master: HOST~VM bridges, a Host column.
        var bridges = _ps.Ok($"Get-HeadlessVm {name} -ComputerName h1, h2 | Start-VncBridge -WebPort {_web}").Select(o => (VncBridge)o.BaseObject).ToList();
        Assert.Equal(new[] { ("h1", $"h1~{name}"), ("h2", $"h2~{name}") }, bridges.Select(b => (b.ComputerName!, b.Name)).Order());
        Assert.Matches($@"(?m)^h1\s+h1~{name}\s+Running", string.Concat(_ps.Ok("Get-VncBridge | Out-String -Width 150").Select(o => o.ToString())));
        var h1Url = (Uri)Assert.Single(_ps.Ok($"Get-VmConsoleUrl {name} -ComputerName h1")).BaseObject;
        Assert.Equal(bridges.Single(b => b.ComputerName == "h1").Url, h1Url);
        var h2Url = (Uri)Assert.Single(_ps.Ok($"Get-VmConsoleUrl {name} -ComputerName h2")).BaseObject;
        Assert.NotEqual(h1Url, h2Url);

        // Each console, opened in Chromium, shows its own host's guest (the same pixels as that host's screenshot) and not the other's.
        await using (var chromium = await HeadlessChromium.LaunchAsync())
        {
            foreach (var (host, url, other) in new[] { ("h1", h1Url, "h2"), ("h2", h2Url, "h1") })
            {
                var page = await chromium.OpenAsync(url);
                await HeadlessChromium.WaitConnectedAsync(page);
                var own = await MatchScreen(page, host, name);
                var theirs = await Compare(page, Screenshot(other, name, "other"));
                _output.WriteLine($"{host}'s console: vs {host}'s screen {own}; vs {other}'s screen {theirs}");
                Assert.True(own.GetProperty("diff").GetDouble() < 0.01 && own.GetProperty("canvasLit").GetDouble() > 0.01, $"{host}'s console does not show {host}'s screen: {own}");
                Assert.True(theirs.GetProperty("diff").GetDouble() > 0.025, $"{host}'s console looks like {other}'s screen: {theirs}");
            }
        }

        // Piped, each VM goes back to its own host to stop; its console and its host's ssh master go with it.
        var stop = _ps.Run($"Get-HeadlessVm {name} -ComputerName h1, h2 | Stop-HeadlessVm -TimeoutSec 90 -PassThru");
        Assert.Empty(stop.Errors);
        Assert.Empty(stop.Warnings);
        Assert.Equal(new[] { ("h1", VmState.Stopped), ("h2", VmState.Stopped) },
            stop.Output.Select(o => (VmInfo)o.BaseObject).Select(v => (v.ComputerName, v.State)).Order());
        foreach (var host in new[] { "h1", "h2" })
        {
            using var libvirt = LibvirtConnection.Open(_bed.Uri(host));
            Assert.Equal(LibvirtDomainState.Shutoff, libvirt.GetState(name).State);
            Assert.Contains(TestGuest.PowerOff, string.Join('\n', _ps.Ok($"Get-HeadlessVmSerialLog {name} -ComputerName {host}")));
        }

        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.Empty(LeftoverProcesses.Find(_ps.StateRoot));
        _ps.Ok($"Remove-HeadlessVm {name} -ComputerName h1");
        Assert.Equal("VmNotFound", Id(Assert.Single(_ps.Run($"Get-HeadlessVm {name} -ComputerName h1").Errors)));
    }

    /// <summary>Compares the canvas with the host's screenshot until they agree (the guest's cursor blinks) or 30 s pass; the last comparison.</summary>
    private async Task<JsonElement> MatchScreen(IPage page, string host, string name)
    {
        JsonElement stats = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            stats = await Compare(page, Screenshot(host, name, $"own{i}"));
            if (stats.GetProperty("diff").GetDouble() < 0.01 && stats.GetProperty("canvasLit").GetDouble() > 0.01)
            {
                break;
            }

            await Task.Delay(500);
        }

        return stats;
    }

    private string Screenshot(string host, string name, string tag) =>
        ((FileInfo)_ps.Ok($"Save-VmScreenshot {name} -ComputerName {host} -Path {host}-{tag}.png").Single().BaseObject).FullName;

    private static async Task<JsonElement> Compare(IPage page, string png) =>
        await page.EvaluateAsync<JsonElement>(BrowserConsoleTests.Compare, Convert.ToBase64String(await File.ReadAllBytesAsync(png)));

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

            // A new connection reaches the machine over ssh but not its libvirtd: the error says which of the two is down.
            _ps.Ok("Disconnect-HeadlessVmHost h2 | Out-Null");
            var fresh = Assert.Single(_ps.Run("Get-HeadlessVm -ComputerName h2").Errors);
            Assert.Equal(("HostUnreachable", (object)"h2"), (Id(fresh), fresh.TargetObject));
            Assert.Contains("its libvirtd does not listen", fresh.Exception.Message, StringComparison.Ordinal);
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
