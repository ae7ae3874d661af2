using System.Management.Automation;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// One damaged record is one error for its own item: the other VMs and bridges still list and work, and
/// the damaged one can be removed (-Force for a VM, Stop-VncBridge for a bridge), with its processes.
/// </summary>
[Collection("PowerShell")]
public sealed class DamagedRecordTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private static T P<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    [Fact]
    public void An_empty_vm_json_is_one_error_for_that_VM_the_others_work_and_Remove_Force_removes_it_with_its_qemu()
    {
        var running = _ps.Ok("'h1', 'p13' | ForEach-Object { New-HeadlessVm $_ -MemoryMB 32 -Accelerator Tcg -Network None -Paused }");
        var damagedPid = P<int>(running[1], "ProcessId");
        _ps.Ok("New-HeadlessVm p14 -NoStart -MemoryMB 32 -Accelerator Tcg");
        var specFile = _ps.Paths.ForVm("p13").SpecFile;

        // The input.
        _ps.Ok($"Set-Content '{specFile}' '' -NoNewline");
        var listed = _ps.Run("Get-HeadlessVm");
        Assert.Null(listed.Terminating);
        Assert.Equal(new[] { "h1", "p14" }, listed.Output.Select(o => P<string>(o, "Name")));
        var error = Assert.Single(listed.Errors);
        Assert.Equal("VmRecordDamaged", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("p13", error.TargetObject);
        Assert.Contains(specFile, error.Exception.Message);
        Assert.Contains("Remove-HeadlessVm p13 -Force", error.Exception.Message);

        // The healthy running VM can be stopped, in the same pipeline that meets the damaged one.
        var stopped = _ps.Run("Get-HeadlessVm -ErrorAction SilentlyContinue | Stop-HeadlessVm -Force -PassThru");
        Assert.Equal(new[] { "h1", "p14" }, stopped.Output.Select(o => P<string>(o, "Name")));
        Assert.True(ProcessInfo.IsAlive(damagedPid));

        // Without -Force the damaged VM stays (and says how to remove it); with -Force its qemu is found by its socket and goes too.
        var refused = _ps.Run("Remove-HeadlessVm p13");
        Assert.Equal("VmRecordDamaged", Assert.Single(refused.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.True(File.Exists(specFile));
        var removed = _ps.Run("Remove-HeadlessVm p13 -Force -PassThru");
        Assert.Empty(removed.Errors);
        Assert.Empty(removed.Output);
        ConsoleTestKit.AssertDead(damagedPid);
        Assert.False(Directory.Exists(_ps.Paths.ForVm("p13").Folder));
        Assert.Empty(_ps.Run("Get-HeadlessVm").Errors);
    }

    [Theory]
    [InlineData("{ \"Name\": \"w1\", \"MemoryMB\": 12")]
    [InlineData("null")]
    [InlineData("{ \"Name\": \"someone-else\" }")]
    public void Garbage_in_vm_json_gets_the_same_error_from_every_cmdlet_that_names_the_VM(string content)
    {
        _ps.Ok("New-HeadlessVm w1 -NoStart -MemoryMB 32 -Accelerator Tcg; New-HeadlessVm w2 -NoStart -MemoryMB 32 -Accelerator Tcg");
        File.WriteAllText(_ps.Paths.ForVm("w1").SpecFile, content);
        foreach (var script in new[] { "Start-HeadlessVm w1", "Stop-HeadlessVm w1 -Force", "Get-HeadlessVm w1", "Get-HeadlessVmSerialLog w1", "Restart-HeadlessVm w1" })
        {
            var r = _ps.Run(script);
            Assert.Null(r.Terminating);
            var error = Assert.Single(r.Errors);
            Assert.Equal("VmRecordDamaged", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("w1", error.TargetObject);
        }

        // Creating and starting another VM does not trip over it.
        Assert.Equal("Paused", _ps.Ok("New-HeadlessVm w3 -MemoryMB 32 -Accelerator Tcg -Network None -Paused").Single().Properties["State"].Value.ToString());
        _ps.Ok("Stop-HeadlessVm w3 -Force");
    }

    [Fact]
    public void A_damaged_bridge_record_or_token_is_one_error_for_that_bridge_and_Stop_or_Start_VncBridge_replaces_it()
    {
        var webPort = FreePorts.Next();
        _ps.Ok($"'c1', 'c2' | ForEach-Object {{ New-HeadlessVm $_ -MemoryMB 32 -Network None -Accelerator Tcg -Paused }} | Start-VncBridge -WebPort {webPort} | Out-Null");
        var server = _ps.Paths.ForConsoleServer("127.0.0.1", webPort);
        var serverPid = P<int>(_ps.Ok("Get-VncBridge c1").Single(), "ProcessId");

        File.WriteAllText(_ps.Paths.ForVm("c1").Bridge.RecordFile, "{ \"Name\": ");
        var listed = _ps.Run("Get-VncBridge");
        Assert.Equal(new[] { "c2" }, listed.Output.Select(o => P<string>(o, "Name")));
        var error = Assert.Single(listed.Errors);
        Assert.Equal("BridgeRecordDamaged", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("c1", error.TargetObject);
        Assert.Contains("Stop-VncBridge c1", error.Exception.Message);
        // The VM itself lists without error; its console URL is simply not known.
        var vm = _ps.Run("Get-HeadlessVm c1");
        Assert.Empty(vm.Errors);
        Assert.Null(vm.Output.Single().Properties["ConsoleUrl"].Value);

        // Stop-VncBridge removes it: the record and its token go, the server keeps serving c2.
        Assert.Empty(_ps.Run("Stop-VncBridge c1").Errors);
        Assert.False(File.Exists(server.TokenFile("c1")));
        Assert.True(File.Exists(server.TokenFile("c2")));
        Assert.True(ProcessInfo.IsAlive(serverPid));

        // A token file that holds no token: an error for that bridge; Start-VncBridge issues a new one.
        File.WriteAllText(server.TokenFile("c2"), "garbage\n");
        var damagedToken = _ps.Run("Get-VncBridge c2");
        Assert.Equal("BridgeRecordDamaged", Assert.Single(damagedToken.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains(server.TokenFile("c2"), damagedToken.Errors[0].Exception.Message);
        var restarted = _ps.Run("Start-VncBridge c2");
        Assert.Empty(restarted.Errors);
        Assert.Contains(restarted.Warnings, w => w.Contains("new token", StringComparison.Ordinal));
        var bridge = restarted.Output.Single();
        Assert.Equal("Running", bridge.Properties["State"].Value.ToString());
        serverPid = P<int>(bridge, "ProcessId");
        var token = ConsoleTestKit.TokenOf(P<Uri>(bridge, "Url"));
        Assert.StartsWith("RFB 003.", ConsoleTestKit.FirstBytesOverWebSocket(ConsoleTestKit.WebSocketUri(P<Uri>(bridge, "Url"), token)));

        // A bridge record damaged while its VM runs does not stop Stop-HeadlessVm from stopping the VM and its bridge.
        File.WriteAllText(_ps.Paths.ForVm("c2").Bridge.RecordFile, string.Empty);
        var stop = _ps.Run("Stop-HeadlessVm c1, c2 -Force");
        Assert.Empty(stop.Errors);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        ConsoleTestKit.AssertDead(serverPid);
    }
}
