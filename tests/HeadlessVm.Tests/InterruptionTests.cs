using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// Ctrl+C in the middle of starting things, and a pipeline that brings no VM to a console server started
/// ahead of it: nothing is left behind (no record, no qemu, no websockify). The moment is chosen, not
/// timed: a qemu that stays in the foreground (the real one, without -daemonize) holds New-HeadlessVm in
/// its start for as long as the test needs.
/// </summary>
[Collection("PowerShell")]
public sealed class InterruptionTests : IDisposable
{
    private readonly PowerShellSession _ps = new();
    private readonly string? _path = Environment.GetEnvironmentVariable("PATH");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PATH", _path);
        _ps.Dispose();
    }

    /// <summary>Puts a qemu-system-x86_64 first on PATH that runs <paramref name="body"/>, with $REAL the real qemu.</summary>
    private void WrapQemu(string body)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_ps.StateRoot, "bin")).FullName;
        var wrapper = Path.Combine(bin, "qemu-system-x86_64");
        File.WriteAllText(wrapper, $"#!/bin/sh\nREAL='{ErrorLab.RealQemu}'\n{body}\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("PATH", bin + ":" + _path);
    }

    /// <summary>The real qemu, started as asked but without -daemonize: it runs in the foreground until stopped.</summary>
    private const string QemuInTheForeground = """
        n=$#
        while [ "$n" -gt 0 ]; do a=$1; shift; [ "$a" = -daemonize ] || set -- "$@" "$a"; n=$((n - 1)); done
        exec "$REAL" "$@"
        """;

    private bool QemuIsUp(string vm) =>
        File.Exists(_ps.Paths.ForVm(vm).QmpSocket) && LeftoverProcesses.Find(_ps.StateRoot).Any(p => p.CommandLine.Contains("qemu-system", StringComparison.Ordinal));

    /// <summary>The console server started ahead runs and is on record (its pidfile is written last, when its start is over).</summary>
    private bool ConsoleServerIsUp() =>
        Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFiles(_ps.Paths.ConsolesFolder, "websockify.pid", SearchOption.AllDirectories).Any()
        && LeftoverProcesses.Find(_ps.StateRoot).Any(p => p.CommandLine.Contains("websockify", StringComparison.Ordinal));

    /// <summary>No process (looked for first, before any module command could tidy up), no record, no console server.</summary>
    private void AssertNothingLeft()
    {
        Assert.Empty(LeftoverProcesses.Sweep(_ps.StateRoot, TimeSpan.FromSeconds(10)));
        Assert.False(Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any());
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
        Assert.Empty(_ps.Ok("Get-VncBridge"));
    }

    [Fact]
    public void Ctrl_C_while_New_HeadlessVm_starts_qemu_stops_it_and_leaves_no_record_and_no_process()
    {
        WrapQemu(QemuInTheForeground);
        var state = _ps.StopWhen("New-HeadlessVm slow -MemoryMB 64 -Network None -Accelerator Tcg", _ => QemuIsUp("slow"), "qemu was up");
        Assert.Equal(PSInvocationState.Stopped, state);
        AssertNothingLeft();
    }

    [Fact]
    public void Ctrl_C_while_the_console_server_starts_ahead_of_the_VMs_stops_it_too()
    {
        // Start-VncBridge starts websockify while New-HeadlessVm starts qemu; Ctrl+C once the server's start is over
        // and qemu runs: no VM ever reaches Start-VncBridge, so the server must go when the pipeline does.
        WrapQemu(QemuInTheForeground);
        var state = _ps.StopWhen($"New-HeadlessVm slow -MemoryMB 64 -Network None -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()}",
            _ => QemuIsUp("slow") && ConsoleServerIsUp(), "qemu ran and the console server had started");
        Assert.Equal(PSInvocationState.Stopped, state);
        AssertNothingLeft();
    }

    [Fact]
    public void A_console_server_started_ahead_of_a_pipeline_whose_VM_fails_to_start_is_stopped()
    {
        // The qemu refuses to start, but only once websockify runs: the head start surely started a server.
        WrapQemu("""
            i=0
            while ! ls "$HVM_CONSOLES"/*/websockify.pid >/dev/null 2>&1; do
              i=$((i + 1))
              if [ "$i" -gt 600 ]; then echo "qemu-system-x86_64: no console server started within 60 s" >&2; exit 1; fi
              sleep 0.1
            done
            echo "qemu-system-x86_64: refused on cue once the console server ran" >&2
            exit 1
            """);
        Environment.SetEnvironmentVariable("HVM_CONSOLES", _ps.Paths.ConsolesFolder);
        try
        {
            var r = _ps.Run($"New-HeadlessVm slow -MemoryMB 64 -Network None -Accelerator Tcg | Start-VncBridge -WebPort {FreePorts.Next()}");
            var error = Assert.Single(r.Errors);
            Assert.Equal("QemuStartFailed", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("refused on cue once the console server ran", error.Exception.Message);
            Assert.Empty(r.Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HVM_CONSOLES", null);
        }

        AssertNothingLeft();
    }
}
