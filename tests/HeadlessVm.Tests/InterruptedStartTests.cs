using System.Management.Automation;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// A start is all or nothing: Ctrl+C (StopProcessing) at any point of Start-HeadlessVm or New-HeadlessVm
/// leaves either a running VM whose console takes its password, or no qemu at all; and a VM left half
/// started (qemu up, password and run record never written) is finished by the next command.
/// </summary>
[Collection("PowerShell")]
public sealed class InterruptedStartTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private IReadOnlyList<int> QemusOf(string vm) => ConsoleTestKit.QemusWithSocket(_ps.Paths.ForVm(vm).QmpSocket);

    /// <summary>Starts a script, waits for <paramref name="when"/>, presses Ctrl+C, and waits (bounded) for it to stop.</summary>
    private PSInvocationState Interrupt(string script, Action when)
    {
        using var ps = _ps.CreatePowerShell();
        ps.AddScript(script);
        var pending = ps.BeginInvoke();
        when();
        ps.Stop();
        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the command did not stop within 30 s of Ctrl+C");
        return ps.InvocationStateInfo.State;
    }

    /// <summary>The invariant: Running and reachable with the recorded password, or Stopped with no qemu.</summary>
    private string AssertWholeOrNothing(string vm)
    {
        var info = _ps.Ok($"Get-HeadlessVm {vm}").Single();
        var state = info.Properties["State"].Value.ToString()!;
        if (state == "Stopped")
        {
            Assert.Empty(QemusOf(vm));
            Assert.False(File.Exists(_ps.Paths.ForVm(vm).RunFile));
        }
        else
        {
            Assert.Equal("Paused", state);
            Assert.Single(QemusOf(vm));
            var password = File.ReadAllText(_ps.Paths.ForVm(vm).VncPasswordFile).Trim();
            Assert.Equal(0u, VncPassword.Authenticate((int)info.Properties["VncPort"].Value, password));
        }

        return state;
    }

    [Fact]
    public void Ctrl_C_after_qemu_daemonized_but_before_its_password_is_set_leaves_no_qemu_and_the_next_start_works()
    {
        _ps.Ok("New-HeadlessVm i1 -NoStart -MemoryMB 32 -Accelerator Tcg -Network None");
        using (var wrapper = new QemuWrapper(_ps.StateRoot))
        {
            var state = Interrupt("Start-HeadlessVm i1 -Paused", () =>
            {
                wrapper.WaitForCue(TimeSpan.FromSeconds(60));
                // The window: qemu runs (it wrote its pidfile and listens for VNC), its password is not set.
                Assert.Single(QemusOf("i1"));
            });
            Assert.Equal(PSInvocationState.Stopped, state);
            Assert.Empty(QemusOf("i1"));
            Assert.Equal("Stopped", AssertWholeOrNothing("i1"));
        }

        Assert.Equal("Paused", _ps.Ok("Start-HeadlessVm i1 -Paused -PassThru").Single().Properties["State"].Value.ToString());
        AssertWholeOrNothing("i1");
        _ps.Ok("Stop-HeadlessVm i1 -Force");
    }

    [Fact]
    public void Ctrl_C_before_qemu_runs_or_while_New_HeadlessVm_starts_it_leaves_no_qemu_and_no_record()
    {
        _ps.Ok("New-HeadlessVm i2 -NoStart -MemoryMB 32 -Accelerator Tcg -Network None");
        using (var before = new QemuWrapper(_ps.StateRoot, sleepBefore: true))
        {
            Interrupt("Start-HeadlessVm i2 -Paused", () => before.WaitForCue(TimeSpan.FromSeconds(60)));
            Assert.Equal("Stopped", AssertWholeOrNothing("i2"));
        }

        using (var after = new QemuWrapper(_ps.StateRoot))
        {
            Interrupt("New-HeadlessVm i3 -MemoryMB 32 -Accelerator Tcg -Network None -Paused", () => after.WaitForCue(TimeSpan.FromSeconds(60)));
            Assert.Empty(QemusOf("i3"));
            Assert.False(Directory.Exists(_ps.Paths.ForVm("i3").Folder));
            Assert.Empty(_ps.Run("Get-HeadlessVm i3 -ErrorAction SilentlyContinue").Output);
        }
    }

    [Fact]
    public void Ctrl_C_at_many_points_of_Start_HeadlessVm_always_leaves_a_reachable_VM_or_none()
    {
        _ps.Ok("New-HeadlessVm i4 -NoStart -MemoryMB 32 -Accelerator Tcg -Network None");
        var outcomes = new List<string>();
        foreach (var delay in new[] { 0, 5, 15, 30, 50, 80, 120, 200, 400 })
        {
            Interrupt("Start-HeadlessVm i4 -Paused", () => Thread.Sleep(delay));
            outcomes.Add($"{delay} ms: {AssertWholeOrNothing("i4")}");
            _ps.Ok("Stop-HeadlessVm i4 -Force");
        }

        // Both outcomes are allowed; what is never allowed is a qemu that refuses its own password.
        Assert.Equal(9, outcomes.Count);
    }

    [Fact]
    public void A_VM_whose_start_never_recorded_its_password_is_finished_by_the_next_Get_HeadlessVm()
    {
        var vm = _ps.Ok("New-HeadlessVm i5 -MemoryMB 32 -Accelerator Tcg -Network None -Paused").Single();
        var files = _ps.Paths.ForVm("i5");
        // What a start killed between qemu's start and its password leaves: no run record; the password in
        // the file is not the one qemu has (here: the file is cut short, as a full disk would leave it).
        File.Delete(files.RunFile);
        File.WriteAllText(files.VncPasswordFile, string.Empty);
        var port = (int)vm.Properties["VncPort"].Value;

        var r = _ps.Run("Get-HeadlessVm i5");
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Contains("did not finish", StringComparison.Ordinal) && w.Contains("complete", StringComparison.Ordinal));
        Assert.Equal("Paused", r.Output.Single().Properties["State"].Value.ToString());
        Assert.True(File.Exists(files.RunFile));
        var password = File.ReadAllText(files.VncPasswordFile).Trim();
        Assert.Equal(8, password.Length);
        Assert.Equal(0u, VncPassword.Authenticate(port, password));
        Assert.Empty(_ps.Run("Get-HeadlessVm i5").Warnings);
        _ps.Ok("Stop-HeadlessVm i5 -Force");
    }
}
