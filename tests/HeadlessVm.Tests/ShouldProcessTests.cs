using System.Security.Cryptography;
using System.Text;

namespace HeadlessVm.Tests;

/// <summary>
/// -WhatIf and -Confirm on every cmdlet that changes something, in a runspace whose host answers the
/// confirmation prompt: -WhatIf says what would happen to which target and does nothing (no file, no
/// process, no QMP command), -Confirm asks about that same target, and answered No does nothing either.
/// </summary>
[Collection("PowerShell")]
public sealed class ShouldProcessTests : IDisposable
{
    private readonly AnsweringHost _host = new();
    private readonly PowerShellSession _ps;

    public ShouldProcessTests()
    {
        _ps = new PowerShellSession(_host);
    }

    public void Dispose() => _ps.Dispose();

    /// <summary>Each state-changing cmdlet: a call, the target ShouldProcess names, and words of the action it names.</summary>
    private (string Command, string Call, string Target, string Action)[] Cases() =>
    [
        ("New-HeadlessVm", "New-HeadlessVm ghost -MemoryMB 64 -Accelerator Tcg", "ghost", "Create and start VM"),
        ("New-HeadlessVmDisk", "New-HeadlessVmDisk ./ghost.qcow2 -SizeGB 1", _ps.Work("ghost.qcow2"), "Create disk image of 1 GB"),
        ("Remove-HeadlessVm", "Remove-HeadlessVm off -Force", "off", "Power off if running, then remove VM record"),
        ("Start-HeadlessVm", "Start-HeadlessVm off", "off", "Start VM (run qemu)"),
        ("Stop-HeadlessVm", "Stop-HeadlessVm busy -Force", "busy", "Power off VM at once"),
        ("Restart-HeadlessVm", "Restart-HeadlessVm busy", "busy", "Restart VM (hard reset)"),
        ("Suspend-HeadlessVm", "Suspend-HeadlessVm busy", "busy", "Pause VM (QMP stop)"),
        ("Resume-HeadlessVm", "Resume-HeadlessVm held", "held", "Resume VM (QMP cont)"),
        ("Send-HeadlessVmKey", "Send-HeadlessVmKey busy -Key ctrl-alt-delete", "busy", "Press keys ctrl-alt-delete"),
        ("Save-VmScreenshot", "Save-VmScreenshot busy -Path ./ghost.png", _ps.Work("ghost.png"), "Save the screen of VM 'busy'"),
        ("Start-VncBridge", "Start-VncBridge held", "held", "Start a browser console bridge"),
        ("Stop-VncBridge", "Stop-VncBridge busy", "busy", "Stop the browser console bridge"),
        ("Connect-HeadlessVmHost", "Connect-HeadlessVmHost ghost-host -Uri test:///default", "ghost-host", "Register host for test:///default (after connecting to it)"),
        ("Disconnect-HeadlessVmHost", "Disconnect-HeadlessVmHost lab-host -Forget", "lab-host", "Close the connection and forget the host"),
        ("Set-HeadlessVm", "Set-HeadlessVm off -MemoryMB 96", "off", "Change VM settings: MemoryMB"),
        ("Rename-HeadlessVm", "Rename-HeadlessVm off renamed", "off", "Rename VM to 'renamed'"),
        ("Copy-HeadlessVm", "Copy-HeadlessVm snappy copied", "snappy", "Copy VM to 'copied' (full copies of its disks)"),
        ("Checkpoint-HeadlessVm", "Checkpoint-HeadlessVm snappy second", "snappy", "Take checkpoint 'second'"),
        ("Restore-HeadlessVmSnapshot", "Restore-HeadlessVmSnapshot snappy kept", "snappy", "Restore checkpoint 'kept'"),
        ("Remove-HeadlessVmSnapshot", "Remove-HeadlessVmSnapshot snappy kept", "checkpoint 'kept' of VM 'snappy'", "Remove checkpoint"),
    ];

    private void MakeLab()
    {
        _ps.Ok("New-HeadlessVm off -MemoryMB 64 -Network None -Accelerator Tcg -NoStart | Out-Null; " +
               "New-HeadlessVm held -MemoryMB 64 -Network None -Accelerator Tcg -Paused | Out-Null; " +
               $"New-HeadlessVm busy -MemoryMB 64 -Network None -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()} | Out-Null; " +
               "Connect-HeadlessVmHost lab-host -Uri test:///default | Out-Null; " +
               "New-HeadlessVmDisk ./snappy.qcow2 -SizeGB 0.1 | Out-Null; " +
               "New-HeadlessVm snappy -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./snappy.qcow2 -NoStart | Out-Null; " +
               "Checkpoint-HeadlessVm snappy kept | Out-Null");
    }

    [Fact]
    public void Every_cmdlet_that_changes_something_takes_WhatIf_and_Confirm_and_this_test_covers_each()
    {
        var changing = _ps.Ok("Get-Command -Module HeadlessVm -CommandType Cmdlet | Where-Object { $_.Parameters.ContainsKey('WhatIf') } | ForEach-Object Name")
            .Select(o => o.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(Cases().Select(c => c.Command).Order(StringComparer.Ordinal), changing);
        Assert.All(changing, name => Assert.True((bool)_ps.Ok($"(Get-Command {name}).Parameters.ContainsKey('Confirm')").Single().BaseObject, name));
    }

    [Fact]
    public void WhatIf_says_what_would_happen_to_which_target_and_changes_nothing()
    {
        MakeLab();
        foreach (var (command, call, target, action) in Cases())
        {
            var before = Snapshot();
            _host.Lines.Clear();
            var r = _ps.Run($"$DebugPreference = 'Continue'; try {{ {call} -WhatIf }} finally {{ $DebugPreference = 'SilentlyContinue' }}");
            Assert.True(r.Errors.Count == 0 && r.Terminating is null, $"{command}: {string.Join("; ", r.Errors)} {r.Terminating?.Message}");
            Assert.Empty(r.Output);
            var whatIf = Assert.Single(_host.Lines, l => l.StartsWith("What if: ", StringComparison.Ordinal));
            Assert.Contains($"on target \"{target}\"", whatIf);
            Assert.Contains(action, whatIf);
            Assert.DoesNotContain(r.Debug, d => d.StartsWith("QMP -> ", StringComparison.Ordinal) && !d.Contains("query-status", StringComparison.Ordinal));
            Assert.True(before == Snapshot(), $"{call} -WhatIf changed something:\n{Diff(before, Snapshot())}");
        }
    }

    [Fact]
    public void Confirm_asks_about_the_same_target_and_answered_No_changes_nothing_and_Yes_goes_ahead()
    {
        MakeLab();
        _host.Answer = "No";
        foreach (var (command, call, target, action) in Cases())
        {
            var before = Snapshot();
            _host.Prompts.Clear();
            var r = _ps.Run($"{call} -Confirm");
            Assert.True(r.Errors.Count == 0 && r.Terminating is null, $"{command}: {string.Join("; ", r.Errors)} {r.Terminating?.Message}");
            Assert.Empty(r.Output);
            var (_, message) = Assert.Single(_host.Prompts);
            Assert.Contains($"on target \"{target}\"", message);
            Assert.Contains(action, message);
            Assert.True(before == Snapshot(), $"{call} -Confirm answered No changed something:\n{Diff(before, Snapshot())}");
        }

        // Answered Yes, the cmdlet does what it asked about.
        _host.Answer = "Yes";
        _host.Prompts.Clear();
        var suspended = _ps.Run("Suspend-HeadlessVm busy -Confirm -PassThru");
        Assert.Empty(suspended.Errors);
        Assert.Single(_host.Prompts);
        Assert.Equal("Paused", suspended.Output.Single().Properties["State"].Value.ToString());
    }

    /// <summary>
    /// What the state is: every file under the store and the work folder with a hash of its content (but
    /// websockify's own log, which it writes when it likes), each VM's and bridge's state as the module reads
    /// it, and the processes that name the store.
    /// </summary>
    private string Snapshot()
    {
        var files = Directory.EnumerateFiles(_ps.StateRoot, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".sock", StringComparison.Ordinal) && Path.GetFileName(f) != "websockify.log")
            .Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(_ps.StateRoot, f)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))[..12]}");
        var vms = _ps.Ok("Get-HeadlessVm | ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.State, $_.ProcessId }").Select(o => "vm " + o);
        var bridges = _ps.Ok("Get-VncBridge | ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.State, $_.ProcessId }").Select(o => "bridge " + o);
        var processes = LeftoverProcesses.Find(_ps.StateRoot).Select(p => $"process {p.Pid}").Order(StringComparer.Ordinal);
        return string.Join("\n", files.Concat(vms).Concat(bridges).Concat(processes));
    }

    private static string Diff(string before, string after)
    {
        var b = before.Split('\n').ToHashSet();
        var a = after.Split('\n').ToHashSet();
        var text = new StringBuilder();
        foreach (var line in b.Except(a))
        {
            text.Append("- ").AppendLine(line);
        }

        foreach (var line in a.Except(b))
        {
            text.Append("+ ").AppendLine(line);
        }

        return text.ToString();
    }
}
