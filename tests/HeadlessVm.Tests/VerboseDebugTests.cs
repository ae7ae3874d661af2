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
        var r = _ps.Run("New-HeadlessVm -Name v1 -MemoryMB 64 -Accelerator Tcg -Verbose -Debug");
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
}
