using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace HeadlessVm.Bench;

/// <summary>A PowerShell runspace in this process, opened fresh (CreateDefault2), with the module imported from the root manifest.</summary>
public sealed class ModuleRunspace : IDisposable
{
    private readonly Runspace _runspace;
    private readonly CancellationToken _cancellation;

    /// <param name="cancellation">Ctrl+C: stops a running script (the module's cmdlets stop waiting), except cleanup.</param>
    public ModuleRunspace(CancellationToken cancellation, bool import = true)
    {
        _cancellation = cancellation;
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        if (import)
        {
            Run(ImportScript, null, null, cancellation, needsStore: false);
        }
    }

    public static string Manifest { get; } = FindManifest();

    public static string ImportScript => $"Import-Module '{Manifest.Replace("'", "''", StringComparison.Ordinal)}' -ErrorAction Stop";

    /// <summary>Warnings written by every script run here, oldest first.</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>Runs a script that must not fail (no error record, no exception) and returns its output.</summary>
    public Collection<PSObject> Invoke(string script, IDictionary<string, object?>? variables = null) => Timed(script, variables).Output;

    /// <summary>Runs a script that must not fail and times Invoke alone (variables are set before the clock starts).</summary>
    public (Collection<PSObject> Output, TimeSpan Elapsed) Timed(string script, IDictionary<string, object?>? variables = null, Action<string, TimeSpan>? onVerbose = null) =>
        Run(script, variables, onVerbose, _cancellation);

    private (Collection<PSObject> Output, TimeSpan Elapsed) Run(string script, IDictionary<string, object?>? variables, Action<string, TimeSpan>? onVerbose,
        CancellationToken cancellation, bool needsStore = true)
    {
        cancellation.ThrowIfCancellationRequested();
        if (needsStore && !Scratch.HomeIsOurs)
        {
            // Never the user's own VMs: a module command runs only against a store this bench made.
            throw new BenchException($"Not running '{script}': HEADLESSVM_HOME is not a store of this bench.");
        }

        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
        {
            _runspace.SessionStateProxy.SetVariable(name, value);
        }

        ps.AddScript(script);
        var watch = new Stopwatch();
        if (onVerbose is not null)
        {
            ps.Streams.Verbose.DataAdded += (_, e) => onVerbose(ps.Streams.Verbose[e.Index].Message, watch.Elapsed);
        }

        Collection<PSObject> output;
        using var stop = cancellation.Register(() => ps.BeginStop(null, null));
        watch.Start();
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            cancellation.ThrowIfCancellationRequested();
            throw new BenchException($"'{script}' failed: {ex.Message}", ex);
        }

        cancellation.ThrowIfCancellationRequested();

        watch.Stop();
        Warnings.AddRange(ps.Streams.Warning.Select(w => w.Message));
        if (ps.Streams.Error.Count > 0)
        {
            throw new BenchException($"'{script}' failed: " + string.Join("; ", ps.Streams.Error.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        }

        return (output, watch.Elapsed);
    }

    /// <summary>Whether the module's cmdlet has a parameter (features land while the bench is written).</summary>
    public bool HasParameter(string command, string parameter) =>
        Run("(Get-Command $c).Parameters.ContainsKey($p)", new Dictionary<string, object?> { ["c"] = command, ["p"] = parameter }, null, CancellationToken.None, needsStore: false)
            .Output.Single().BaseObject is true;

    /// <summary>Removes every VM of the current HEADLESSVM_HOME with the module (stopping VMs and bridges); returns the failure, if any.</summary>
    public string? RemoveAll() => Cleanup("Get-HeadlessVm | Remove-HeadlessVm -Force");

    /// <summary>Runs a cleanup script, which Ctrl+C does not stop (Ctrl+C leads here); returns the failure, if any.</summary>
    public string? Cleanup(string script)
    {
        try
        {
            Run(script, null, null, CancellationToken.None);
            return null;
        }
        catch (BenchException ex)
        {
            return ex.Message;
        }
    }

    public void Dispose() => _runspace.Dispose();

    private static string FindManifest()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HeadlessVm.psd1")))
        {
            dir = dir.Parent;
        }

        return dir is null
            ? throw new InvalidOperationException("Cannot find HeadlessVm.psd1 above " + AppContext.BaseDirectory)
            : Path.Combine(dir.FullName, "HeadlessVm.psd1");
    }
}

/// <summary>Something the bench needed did not work: a scenario fails with this message.</summary>
public sealed class BenchException : Exception
{
    public BenchException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
