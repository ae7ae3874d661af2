using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using HeadlessVm.Core.State;
using HeadlessVm.Testing;

namespace HeadlessVm.Tests;

/// <summary>
/// A PowerShell runspace in this process with the module imported from the root manifest, pointed at
/// its own temporary state folder. Disposing it removes, through the module, every VM and bridge the
/// test left (tests may leave them for this), then sweeps /proc for any process whose command line
/// still names the folder: such a process leaked past the module, so the sweep kills it by PID and the
/// test fails. Between sessions HEADLESSVM_HOME names <see cref="NoStore"/>, never the user's store.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    /// <summary>How long one script may run before the test fails naming it (well under dotnet test's hang timeout).</summary>
    public static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(5);

    private readonly Runspace _runspace;
    private int _disposed;

    /// <param name="host">A host for the runspace (one that answers -Confirm prompts); PowerShell's default, which has no UI, when null.</param>
    public PowerShellSession(PSHost? host = null)
    {
        // Short, because unix socket paths are limited to 107 characters.
        StateRoot = Directory.CreateTempSubdirectory("hvm-").FullName;
        // The environment is process-wide: the PowerShell tests run one at a time (see the collection).
        Environment.SetEnvironmentVariable(NoStore.Variable, StateRoot);
        WorkFolder = Directory.CreateDirectory(Path.Combine(StateRoot, "work")).FullName;

        _runspace = host is null
            ? RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2())
            : RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
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

    /// <summary>The full path of <paramref name="file"/> in <see cref="WorkFolder"/>, where the session's scripts run.</summary>
    public string Work(string file) => Path.Combine(WorkFolder, file);

    /// <summary>A PowerShell instance on this session's runspace, for tests that invoke asynchronously and stop it.</summary>
    public PowerShell CreatePowerShell()
    {
        var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps;
    }

    /// <summary>
    /// Runs a cmdlet that waits, presses Ctrl+C (PowerShell.Stop) once it reports progress, and returns the
    /// final invocation state. Give the cmdlet a timeout far beyond <paramref name="stopLimit"/> (default
    /// 60 s): a stop that takes longer means the cmdlet did not honour Ctrl+C, and the test fails.
    /// </summary>
    public PSInvocationState StopWhileWaiting(string script, TimeSpan? stopLimit = null) =>
        StopWhen(script, ps => ps.Streams.Progress.Count > 0, "it reported progress", stopLimit);

    /// <summary>
    /// Runs <paramref name="script"/> asynchronously, presses Ctrl+C once <paramref name="ready"/> holds
    /// (checked every 20 ms, for at most 2 minutes), and returns the final invocation state once the
    /// pipeline has stopped (at most <paramref name="stopLimit"/>, default 60 s, after Ctrl+C).
    /// </summary>
    public PSInvocationState StopWhen(string script, Func<PowerShell, bool> ready, string readyMeans, TimeSpan? stopLimit = null)
    {
        using var ps = CreatePowerShell();
        ps.AddScript(script);
        var pending = ps.BeginInvoke();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        // ready is asked once a round and its answer kept: a condition that held and then stopped holding (qemu
        // up, then gone because the start moved on) was the moment, and asking again would miss it.
        var isReady = ready(ps);
        while (!isReady && !pending.IsCompleted && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
            isReady = ready(ps);
        }

        if (!isReady)
        {
            // What the pipeline did on its own is read before Stop, which would overwrite its state and reason.
            var completed = pending.IsCompleted;
            var own = $"state {ps.InvocationStateInfo.State}: {ps.InvocationStateInfo.Reason?.Message}\n" +
                string.Join("\n", ps.Streams.Error.Select(e => $"{e.FullyQualifiedErrorId}: {e}")
                    .Concat(ps.Streams.Warning.Select(w => "WARNING: " + w.Message)));
            if (!completed)
            {
                ps.Stop();
            }

            throw new Xunit.Sdk.XunitException($"'{script}' never got to the point where Ctrl+C was to be pressed ({readyMeans}): " +
                (completed ? "it finished first" : "not within 2 minutes") + $"; {own}");
        }

        var stopping = ps.BeginStop(null, null);
        var limit = stopLimit ?? TimeSpan.FromSeconds(60);
        if (!stopping.AsyncWaitHandle.WaitOne(limit))
        {
            throw new Xunit.Sdk.XunitException($"Ctrl+C did not stop '{script}' within {limit.TotalSeconds} s: it does not honour cancellation.");
        }

        ps.EndStop(stopping);
        Xunit.Assert.True(pending.IsCompleted);
        return ps.InvocationStateInfo.State;
    }

    /// <summary>
    /// Runs <paramref name="script"/> on the session's runspace and returns everything it wrote. A script
    /// that runs longer than <see cref="ScriptLimit"/> is stopped and fails the test, naming it.
    /// </summary>
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
        var invocation = Task.Run(ps.Invoke);
        try
        {
            if (!invocation.Wait(ScriptLimit))
            {
                ps.BeginStop(null, null).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                throw new Xunit.Sdk.XunitException($"The script did not finish within {ScriptLimit.TotalMinutes} min and was stopped: {script}");
            }

            output = invocation.Result;
        }
        catch (AggregateException ex) when (ex.InnerException is RuntimeException runtime)
        {
            output = new Collection<PSObject>();
            terminating = runtime;
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

    /// <summary>
    /// Runs a script that must not fail nor warn, and returns its output. A warning fails it too: it is how
    /// the module says it did something else than asked (fell back to TCG, powered off after a timeout),
    /// so a test that expects one uses <see cref="Run"/> and asserts it.
    /// </summary>
    public List<PSObject> Ok(string script)
    {
        var r = Run(script);
        if (r.Terminating is not null || r.Errors.Count > 0 || r.Warnings.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"Script failed: {script}\n{r.Terminating?.Message}\n" +
                string.Join("\n", r.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}").Concat(r.Warnings.Select(w => "WARNING: " + w))));
        }

        return r.Output;
    }

    /// <summary>
    /// Removes what the test left through the module, then fails the test if any process still names the
    /// state folder (after killing it by PID); deletes the folder and points HEADLESSVM_HOME at <see cref="NoStore"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        IReadOnlyList<LeftoverProcesses.Leftover> leftovers;
        try
        {
            try
            {
                if (_runspace.RunspaceStateInfo.State == RunspaceState.Opened && _runspace.RunspaceAvailability == RunspaceAvailability.Available)
                {
                    // Errors here are not the test's: a test may have broken a VM's record or socket on purpose.
                    Run("Get-HeadlessVm -ErrorAction Ignore | Remove-HeadlessVm -Force -Confirm:$false -ErrorAction Ignore; " +
                        "Get-VncBridge -ErrorAction Ignore | Stop-VncBridge -Confirm:$false -ErrorAction Ignore");
                }
            }
            finally
            {
                _runspace.Dispose();
            }
        }
        finally
        {
            leftovers = LeftoverProcesses.Sweep(StateRoot);
            NoStore.Apply();
            try
            {
                Directory.Delete(StateRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        if (LeftoverProcesses.Describe(leftovers, "The test") is { } leak)
        {
            throw new Xunit.Sdk.XunitException(leak);
        }
    }
}

/// <summary>Before any test runs, HEADLESSVM_HOME names no usable store (see <see cref="NoStore"/>).</summary>
internal static class NoStoreAtLoad
{
    [ModuleInitializer]
    internal static void Apply() => NoStore.Apply();
}

public sealed record PsResult(
    List<PSObject> Output,
    List<ErrorRecord> Errors,
    List<string> Warnings,
    List<string> Verbose,
    List<ProgressRecord> Progress,
    List<string> Debug,
    Exception? Terminating);

[CollectionDefinition("PowerShell", DisableParallelization = true)]
public sealed class PowerShellCollection : ICollectionFixture<LibvirtDaemons>
{
}
