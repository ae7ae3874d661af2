using System.Management.Automation;

namespace HeadlessVm.Tests;

[Collection("PowerShell")]
public sealed class LifecycleTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void New_HeadlessVm_starts_a_real_qemu_that_Get_HeadlessVm_reports_running_and_Stop_powers_off()
    {
        var created = _ps.Ok("New-HeadlessVm web1 -MemoryMB 128").Single();
        Assert.Equal("web1", created.Properties["Name"].Value);
        Assert.Equal("Running", created.Properties["State"].Value.ToString());
        var pid = (int)created.Properties["ProcessId"].Value;
        var argv = HeadlessVm.Core.Processes.ProcessInfo.CommandLine(pid)!;
        Assert.Equal("qemu-system-x86_64", Path.GetFileName(argv[0]));
        Assert.Contains("-m", argv);
        Assert.Equal("128", argv[argv.ToList().IndexOf("-m") + 1]);
        Assert.Equal("127.0.0.1:1,password=on", argv[argv.ToList().IndexOf("-vnc") + 1]);

        var listed = _ps.Ok("Get-HeadlessVm").Single();
        Assert.Equal("Running", listed.Properties["State"].Value.ToString());
        Assert.Equal(5901, listed.Properties["VncPort"].Value);

        var stopped = _ps.Run("Get-HeadlessVm | Stop-HeadlessVm -TimeoutSec 2 -PassThru");
        Assert.Empty(stopped.Errors);
        Assert.Equal("Stopped", stopped.Output.Single().Properties["State"].Value.ToString());
        Assert.False(HeadlessVm.Core.Processes.ProcessInfo.IsAlive(pid));
    }
}
