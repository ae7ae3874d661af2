using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HeadlessVm.Core.State;

namespace HeadlessVm.Tests;

/// <summary>
/// A PowerShell runspace in this process with the module imported from the root manifest, pointed at
/// its own temporary state folder. Disposing it stops, by PID, every qemu and websockify that the
/// store says it started, and deletes the folder.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellSession()
    {
        // Short, because unix socket paths are limited to 107 characters.
        StateRoot = Directory.CreateTempSubdirectory("hvm-").FullName;
        // The environment is process-wide: the PowerShell tests run one at a time (see the collection).
        Environment.SetEnvironmentVariable("HEADLESSVM_HOME", StateRoot);
        WorkFolder = Directory.CreateDirectory(Path.Combine(StateRoot, "work")).FullName;

        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        try
        {
            _runspace.Open();
            _runspace.SessionStateProxy.Path.SetLocation(WorkFolder);
            var import = Run($"Import-Module '{RepoPaths.Manifest}' -ErrorAction Stop");
            if (import.Terminating is not null || import.Errors.Count > 0)
            {
                throw new InvalidOperationException("Import-Module failed: " + (import.Terminating?.Message ?? import.Errors[0].ToString()));
            }
        }
        catch
        {
            // xunit does not dispose a test class whose constructor threw: clean up here.
            Dispose();
            throw;
        }
    }

    public string StateRoot { get; }

    public string WorkFolder { get; }

    public StatePaths Paths => new(StateRoot);

    /// <summary>A PowerShell instance on this session's runspace, for tests that invoke asynchronously and stop it.</summary>
    public PowerShell CreatePowerShell()
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps;
    }

    /// <summary>
    /// Runs a cmdlet that waits, presses Ctrl+C (PowerShell.Stop) once it reports progress, and returns how
    /// long it took to stop and the final invocation state.
    /// </summary>
    public (TimeSpan Elapsed, PSInvocationState State) StopWhileWaiting(string script)
    {
        using var ps = CreatePowerShell();
        ps.AddScript(script);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var pending = ps.BeginInvoke();
        while (ps.Streams.Progress.Count == 0 && !pending.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(50);
        }

        Xunit.Assert.NotEmpty(ps.Streams.Progress);
        ps.Stop();
        Xunit.Assert.True(pending.IsCompleted);
        return (watch.Elapsed, ps.InvocationStateInfo.State);
    }

    public PsResult Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        if (variables is not null)
        {
            foreach (var (name, value) in variables)
            {
                _runspace.SessionStateProxy.SetVariable(name, value);
            }
        }

        ps.AddScript(script);
        Collection<PSObject> output;
        Exception? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            output = new Collection<PSObject>();
            terminating = ex;
        }

        return new PsResult(
            output.Where(o => o is not null).ToList(),
            ps.Streams.Error.ToList(),
            ps.Streams.Warning.Select(w => w.Message).ToList(),
            ps.Streams.Verbose.Select(v => v.Message).ToList(),
            ps.Streams.Progress.ToList(),
            ps.Streams.Debug.Select(v => v.Message).ToList(),
            terminating);
    }

    /// <summary>Runs a script that must not fail, and returns its output.</summary>
    public List<PSObject> Ok(string script)
    {
        var r = Run(script);
        if (r.Terminating is not null || r.Errors.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"Script failed: {script}\n{r.Terminating?.Message}\n{string.Join("\n", r.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}"))}");
        }

        return r.Output;
    }

    public void Dispose()
    {
        try
        {
            _runspace.Dispose();
        }
        finally
        {
            TestProcesses.StopAllUnder(StateRoot);
            Environment.SetEnvironmentVariable("HEADLESSVM_HOME", null);
            try
            {
                Directory.Delete(StateRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

public sealed record PsResult(
    List<PSObject> Output,
    List<ErrorRecord> Errors,
    List<string> Warnings,
    List<string> Verbose,
    List<ProgressRecord> Progress,
    List<string> Debug,
    Exception? Terminating);

/// <summary>What the VNC display allocator should pick on this machine: the first displays from :1 whose port is free now.</summary>
public static class VncDisplays
{
    public static int[] FirstFree(int count) =>
        Enumerable.Range(1, 98).Where(d => HeadlessVm.Core.Processes.Ports.IsFree("127.0.0.1", 5900 + d)).Take(count).ToArray();
}

/// <summary>Stops, by PID, the processes a test's state folder records (qemu pidfiles, bridge records).</summary>
public static class TestProcesses
{
    public static void StopAllUnder(string stateRoot)
    {
        if (!Directory.Exists(stateRoot))
        {
            return;
        }

        foreach (var pidFile in Directory.EnumerateFiles(stateRoot, "*.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                Kill(pid, stateRoot);
            }
        }
    }

    /// <summary>Kills a process only if its command line mentions the test's state folder, so a reused PID is never hit.</summary>
    public static void Kill(int pid, string mustMention)
    {
        var argv = HeadlessVm.Core.Processes.ProcessInfo.CommandLine(pid);
        if (argv is null || !argv.Any(a => a.Contains(mustMention, StringComparison.Ordinal)))
        {
            return;
        }

        HeadlessVm.Core.Processes.ProcessInfo.Signal(pid, HeadlessVm.Core.Processes.ProcessInfo.SIGKILL);
        HeadlessVm.Core.Processes.ProcessInfo.WaitForExit(pid, TimeSpan.FromSeconds(5));
    }
}

[CollectionDefinition("PowerShell", DisableParallelization = true)]
public sealed class PowerShellCollection : ICollectionFixture<LibvirtDaemons>
{
}
