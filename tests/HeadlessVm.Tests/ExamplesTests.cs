using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// The scripts in examples/, run as a user would run them, against real qemu (TCG), the real test guest
/// and real websockify, in an in-process runspace. The runspace has Import-Csv and Select-Object, so
/// the examples run unchanged.
/// </summary>
[Collection("PowerShell")]
public sealed class ExamplesTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples", name);

    [Fact]
    public async Task Lab_from_csv_brings_up_three_VMs_with_reachable_consoles_and_teardown_removes_them_all()
    {
        var lab = _ps.Run($"& '{Example("lab-from-csv.ps1")}' -MediaPath $media -NamePrefix t- -Accelerator Tcg",
            new Dictionary<string, object?> { ["media"] = TestGuest.Directory });
        Assert.Null(lab.Terminating);
        Assert.Empty(lab.Errors);
        Assert.Equal(new[] { "t-cache", "t-db", "t-web" }, lab.Output.Select(o => o.Properties["VmName"].Value.ToString()).Order());
        Assert.Equal(3, _ps.Ok("Get-HeadlessVm -Name 't-*' | Where-Object State -eq 'Running'").Count);

        // Each console URL serves the noVNC client (the WebSocket and the screen are the console tests' job).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        foreach (var row in lab.Output)
        {
            var url = (Uri)PSObject.AsPSObject(row.Properties["ConsoleUrl"].Value).BaseObject;
            Assert.Equal("127.0.0.1", url.Host);
            Assert.Contains("autoconnect=1", url.Query);
            var response = await http.GetAsync(url);
            Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode}");
            Assert.Contains("noVNC", await response.Content.ReadAsStringAsync());
        }

        var pids = _ps.Ok("Get-HeadlessVm -Name 't-*' | ForEach-Object ProcessId; Get-VncBridge | ForEach-Object ProcessId")
            .Select(o => (int)o.BaseObject).ToList();
        Assert.Equal(6, pids.Count);

        // -WhatIf passes through the script to every cmdlet: nothing changes.
        var whatIf = _ps.Run($"& '{Example("teardown.ps1")}' -NamePrefix t- -WhatIf");
        Assert.Empty(whatIf.Errors);
        Assert.Equal(3, _ps.Ok("Get-HeadlessVm -Name 't-*' | Where-Object State -eq 'Running'").Count);
        Assert.Equal(3, _ps.Ok("Get-VncBridge | Where-Object State -eq 'Running'").Count);

        var teardown = _ps.Run($"& '{Example("teardown.ps1")}' -NamePrefix t- -TimeoutSec 5");
        Assert.Null(teardown.Terminating);
        Assert.Empty(teardown.Errors);
        Assert.Equal(new[] { "t-cache", "t-db", "t-web" }, teardown.Output.Select(o => o.Properties["Name"].Value.ToString()).Order());
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
        Assert.Empty(_ps.Ok("Get-VncBridge | Where-Object State -eq 'Running'"));
        Assert.All(pids, pid => Assert.True(HeadlessVm.Core.Processes.ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(10)), $"process {pid} is still alive"));
    }

    [Fact]
    public void Boot_wait_screenshot_boots_the_ISO_waits_for_the_line_saves_a_png_and_shuts_down_gracefully()
    {
        var r = _ps.Run(
            $"& '{Example("boot-wait-screenshot.ps1")}' -IsoPath $iso -Name t-boot -WaitFor '^{TestGuest.Ready}$' " +
            "-ScreenshotPath ./boot.png -MemoryMB 256 -Accelerator Tcg -TimeoutSec 180 -Verbose",
            new Dictionary<string, object?> { ["iso"] = TestGuest.Iso });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        // The guest powered off on the ACPI button: no "had to power off" warning.
        Assert.Empty(r.Warnings);
        Assert.Contains(r.Verbose, v => v == "Guest is up: " + TestGuest.Ready);

        var file = (FileInfo)r.Output.Single().BaseObject;
        Assert.Equal(Path.Combine(_ps.WorkFolder, "boot.png"), file.FullName);
        var bytes = File.ReadAllBytes(file.FullName);
        Assert.True(bytes.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);

        // Shut down and removed (no -Keep): the store is empty again.
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
    }

    [Fact]
    public void Boot_wait_screenshot_shuts_the_VM_down_even_when_the_wait_times_out()
    {
        var r = _ps.Run(
            $"& '{Example("boot-wait-screenshot.ps1")}' -IsoPath $iso -Name t-slow -WaitFor 'this line never comes' " +
            "-MemoryMB 256 -Accelerator Tcg -TimeoutSec 2 -ShutdownTimeoutSec 2 -Keep",
            new Dictionary<string, object?> { ["iso"] = TestGuest.Iso });
        var error = r.Terminating as IContainsErrorRecord;
        Assert.NotNull(error);
        Assert.StartsWith("SerialTextWaitTimeout,", error!.ErrorRecord.FullyQualifiedErrorId);
        var vm = _ps.Ok("Get-HeadlessVm t-slow").Single();
        Assert.Equal("Stopped", vm.Properties["State"].Value.ToString());
    }

    [Fact]
    public void Clone_lab_boots_two_VMs_from_linked_clones_of_a_base_image()
    {
        // A private copy of the guest disk as the base: the clones only read it.
        var basePath = Path.Combine(_ps.WorkFolder, "base.qcow2");
        File.Copy(TestGuest.Qcow2, basePath);
        var baseBytes = File.ReadAllBytes(basePath);

        var r = _ps.Run(
            $"& '{Example("clone-lab.ps1")}' -BasePath ./base.qcow2 -Count 2 -NamePrefix t-clone -MemoryMB 256 -Accelerator Tcg " +
            $"-WaitFor '^{TestGuest.Ready}$' -TimeoutSec 180");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "t-clone1", "t-clone2" }, r.Output.Select(o => o.Properties["Name"].Value.ToString()));
        Assert.All(r.Output, o => Assert.Equal("Running", o.Properties["State"].Value.ToString()));

        var backing = _ps.Ok("Get-ChildItem -Filter 't-clone*.qcow2' | Get-HeadlessVmDisk | ForEach-Object BackingPath");
        Assert.Equal(new[] { basePath, basePath }, backing.Select(o => o.ToString()));

        var teardown = _ps.Run($"& '{Example("teardown.ps1")}' -NamePrefix t-clone -TimeoutSec 30");
        Assert.Empty(teardown.Errors);
        Assert.Empty(teardown.Warnings);
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
        Assert.Equal(baseBytes, File.ReadAllBytes(basePath));
    }
}
