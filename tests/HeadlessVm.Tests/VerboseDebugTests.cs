namespace HeadlessVm.Tests;

/// <summary>-Verbose shows the exact command lines the module runs; -Debug the QMP traffic, never a secret.</summary>
[Collection("PowerShell")]
public sealed class VerboseDebugTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void Verbose_shows_the_exact_qemu_command_line_and_Debug_the_QMP_traffic_without_the_VNC_password()
    {
        // On an address of its own, so that no other program takes its display and makes qemu run twice.
        var r = _ps.Run($"New-HeadlessVm -Name v1 -MemoryMB 64 -Accelerator Tcg -ListenAddress {FreePorts.PrivateLoopbackAddress()} -Verbose -Debug");
        Assert.Empty(r.Errors);
        var vm = r.Output.Single();
        var argv = HeadlessVm.Core.Processes.ProcessInfo.CommandLine((int)vm.Properties["ProcessId"].Value)!;

        var line = r.Verbose.Single(v => v.StartsWith("Running: ", StringComparison.Ordinal) && v.Contains("qemu-system-x86_64"));
        var shown = line["Running: ".Length..].Split(' ');
        // Every argument qemu really got is in the line, in order (the line quotes what a shell would need quoted).
        var at = 0;
        foreach (var arg in argv.Skip(1))
        {
            var index = Array.FindIndex(shown, at, s => s == arg || s == "'" + arg + "'");
            Assert.True(index >= 0, $"'{arg}' is not in the verbose command line: {line}");
            at = index + 1;
        }

        Assert.Contains(r.Debug, d => d.StartsWith("QMP -> ", StringComparison.Ordinal) && d.Contains("qmp_capabilities"));
        Assert.Contains(r.Debug, d => d.StartsWith("QMP <- ", StringComparison.Ordinal));
        var setPassword = r.Debug.Single(d => d.Contains("set_password"));
        Assert.Contains("********", setPassword);

        var password = File.ReadAllText(Path.Combine(_ps.StateRoot, "vms", "v1", "vnc.password")).Trim();
        Assert.True(password.Length >= 6);
        Assert.All(r.Debug.Concat(r.Verbose), m => Assert.DoesNotContain(password, m));
    }

    [Fact]
    public void Verbose_shows_the_qemu_img_command_line()
    {
        var r = _ps.Run("New-HeadlessVmDisk -Path ./d1.qcow2 -SizeGB 1 -Verbose");
        Assert.Empty(r.Errors);
        Assert.Contains(r.Verbose, v => v.StartsWith("Running: ", StringComparison.Ordinal) && v.Contains("qemu-img create") && v.Contains("d1.qcow2"));
    }

    [Fact]
    public void Stop_HeadlessVm_shows_a_countdown_that_is_gone_when_the_wait_ends()
    {
        // Firmware only: nothing answers the ACPI button, so the whole countdown runs.
        _ps.Ok("New-HeadlessVm -Name p1 -MemoryMB 64 -Accelerator Tcg | Out-Null");
        var r = _ps.Run("Stop-HeadlessVm -Name p1 -TimeoutSec 3");
        Assert.Empty(r.Errors);
        Assert.True(r.Progress.Count >= 2, $"{r.Progress.Count} progress records");
        Assert.All(r.Progress, p => Assert.Contains("p1", p.Activity + p.StatusDescription));
        Assert.Equal(System.Management.Automation.ProgressRecordType.Completed, r.Progress[^1].RecordType);
        Assert.Contains(r.Progress, p => p.RecordType == System.Management.Automation.ProgressRecordType.Processing && p.SecondsRemaining > 0);
    }

    [Fact]
    public void Verbose_shows_the_websockify_command_line_without_the_bridge_token()
    {
        // On an address of its own, so that no other program takes the web port between the check and websockify's bind.
        var address = FreePorts.PrivateLoopbackAddress();
        var r = _ps.Run($"New-HeadlessVm -Name w1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge -ListenAddress {address} -Verbose");
        Assert.Empty(r.Errors);
        var line = r.Verbose.Single(v => v.StartsWith("Running: ", StringComparison.Ordinal) && v.Contains("websockify"));
        var pid = (int)r.Output.Single().Properties["ProcessId"].Value;
        var webPort = (int)r.Output.Single().Properties["WebPort"].Value;
        var argv = HeadlessVm.Core.Processes.ProcessInfo.CommandLine(pid)!;
        Assert.All(argv.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal)), a => Assert.Contains(a, line));

        var token = File.ReadAllText(Path.Combine(_ps.Paths.ConsolesFolder, $"{address}-{webPort}", "tokens", "w1")).Split(':')[0].Trim();
        Assert.True(token.Length >= 16);
        Assert.All(r.Verbose.Concat(r.Debug), m => Assert.DoesNotContain(token, m));
    }
}
