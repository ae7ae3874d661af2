using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Commands;

/// <summary>
/// The base of every cmdlet: one cancellation token that Ctrl+C (StopProcessing) cancels and every
/// wait honours, the core's services (one <see cref="HeadlessVmContext"/> per command, reporting
/// through this cmdlet), and the one place where core failures become ErrorRecords. Core calls are
/// synchronous on the pipeline thread, so every Write* happens there too.
/// </summary>
public abstract class HeadlessVmCmdlet : PSCmdlet, IVmHost
{
    private readonly CancellationTokenSource _cancellation = new();
    private HeadlessVmContext? _context;

    protected CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>
    /// The core, wired for the store that $HEADLESSVM_HOME (or its fallbacks) names; a relative folder in
    /// those variables is resolved against PowerShell's current location, like a path parameter.
    /// </summary>
    protected HeadlessVmContext Context
    {
        get
        {
            if (_context is null)
            {
                try
                {
                    _context = new HeadlessVmContext(StatePaths.FromEnvironment(resolve: p => ResolvePath(p)!), this,
                        kvmProbe: () => QemuLauncher.ProbeKvm(p => ResolvePath(p)!));
                }
                catch (HeadlessVmException ex)
                {
                    ThrowTerminating(ex);
                }
            }

            return _context!;
        }
    }

    /// <summary>Where the VMs live.</summary>
    protected IVmBackend Vms => Context.Vms;

    protected override void StopProcessing() => _cancellation.Cancel();

    protected override void EndProcessing() => _cancellation.Dispose();

    void IVmHost.Warning(string message) => WriteWarning(message);

    void IVmHost.Verbose(string message) => WriteVerbose(message);

    void IVmHost.Debug(string message) => WriteDebug(message);

    void IVmHost.Progress(WaitProgress progress)
    {
        var record = new ProgressRecord(Math.Abs(progress.Activity.GetHashCode() % 100000), progress.Activity, progress.Status)
        {
            PercentComplete = Math.Clamp(progress.PercentComplete, 0, 100),
            SecondsRemaining = progress.SecondsRemaining,
            RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        WriteProgress(record);
    }

    /// <summary>Runs one unit of work; a core failure becomes a non-terminating error for that item only.</summary>
    protected bool Try(string? target, Action action) => Try(target, HostTarget.Local, action);

    /// <summary>
    /// As <see cref="Try(string?, Action)"/> for a VM on <paramref name="host"/>: a failure of a VM that is not in the
    /// folder store says which host it is on.
    /// </summary>
    protected bool Try(string? target, HostTarget host, Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ToErrorRecord(ex, target) is { } record)
        {
            WriteError(OnHost(record, host));
            return false;
        }
    }

    /// <summary>A host that could not be asked: one non-terminating error with the host's name as target.</summary>
    protected void WriteHostError(HostTarget host, Exception ex)
    {
        if (ToErrorRecord(ex, host.ComputerName) is { } record)
        {
            WriteError(new ErrorRecord(record.Exception, record.FullyQualifiedErrorId, record.CategoryInfo.Category, host.ComputerName));
        }
    }

    /// <summary>The record, its message saying which host the VM is on (unless it is the folder store's, or says so already).</summary>
    protected static ErrorRecord OnHost(ErrorRecord record, HostTarget host)
    {
        var message = record.Exception.Message;
        if (!host.IsLocalStore && !message.Contains(host.ComputerName, StringComparison.Ordinal))
        {
            record.ErrorDetails = new ErrorDetails($"{message} (host: {host.ComputerName})");
        }

        return record;
    }

    /// <summary>
    /// Maps core exceptions to ErrorRecords with a specific id, a real category and a target (the item being
    /// worked on, <paramref name="target"/>, unless the error names its own); null for bugs. A state folder
    /// that refused a write becomes StateFolderUnusable, naming the folder and the variable that chose it.
    /// </summary>
    protected ErrorRecord? ToErrorRecord(Exception ex, string? target) => ex switch
    {
        StateWriteException w => ToErrorRecord(HeadlessVmErrors.StateFolderUnusable(target ?? Context.Paths.Root, Context.Paths, w), target),
        // A lock is the store's, not an item's: the item it held up is the target.
        HeadlessVmException { ErrorId: ErrorIds.StateLocked } h when target is not null => new ErrorRecord(h, h.ErrorId, Map(h.Kind), target),
        HeadlessVmException h => new ErrorRecord(h, h.ErrorId, Map(h.Kind), h.Target ?? target ?? string.Empty),
        UnauthorizedAccessException u => new ErrorRecord(u, ErrorIds.StateAccessDenied, ErrorCategory.PermissionDenied, target ?? string.Empty),
        IOException io => new ErrorRecord(io, ErrorIds.StateIOError, ErrorCategory.WriteError, target ?? string.Empty),
        _ => null,
    };

    /// <summary>Writes a core failure as a non-terminating error for <paramref name="target"/>; a bug is rethrown.</summary>
    protected void WriteError(Exception ex, string? target) => WriteError(ToErrorRecord(ex, target) ?? throw ex);

    protected void ThrowTerminating(HeadlessVmException ex) => ThrowTerminatingError(ToErrorRecord(ex, ex.Target)!);

    public static ErrorCategory Map(FailureKind kind) => kind switch
    {
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        FailureKind.ResourceExists => ErrorCategory.ResourceExists,
        FailureKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        FailureKind.ResourceBusy => ErrorCategory.ResourceBusy,
        FailureKind.InvalidOperation => ErrorCategory.InvalidOperation,
        FailureKind.OperationTimeout => ErrorCategory.OperationTimeout,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.NotInstalled => ErrorCategory.NotInstalled,
        FailureKind.ConnectionError => ErrorCategory.ConnectionError,
        FailureKind.OperationStopped => ErrorCategory.OperationStopped,
        FailureKind.NotImplemented => ErrorCategory.NotImplemented,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.WriteError => ErrorCategory.WriteError,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>
    /// The names of the VMs that <paramref name="names"/> name, wildcards expanded, each once; every VM
    /// when null. A plain name with no VM is a non-terminating VmNotFound error; a wildcard that matches
    /// nothing is not an error. A store that cannot be a folder is one StateFolderUnusable error and no VMs.
    /// </summary>
    protected IReadOnlyList<string> ResolveVms(IEnumerable<string>? names)
    {
        IReadOnlyList<string> all;
        try
        {
            all = Vms.Names();
        }
        catch (StateWriteException ex)
        {
            // A store whose folder is a file: one error naming it and its variable, not an empty list.
            WriteError(ex, null);
            return Array.Empty<string>();
        }

        return ResolveByName(names, all, v => v, name => ToErrorRecord(HeadlessVmErrors.VmNotFound(name), name)!);
    }

    /// <summary>
    /// The items of <paramref name="all"/> that <paramref name="names"/> name, wildcards expanded, each
    /// once; all of them when <paramref name="names"/> is null. A plain name that matches nothing is the
    /// non-terminating error <paramref name="notFound"/> makes; a wildcard that matches nothing is not an error.
    /// </summary>
    protected IReadOnlyList<T> ResolveByName<T>(IEnumerable<string>? names, IReadOnlyList<T> all, Func<T, string> nameOf, Func<string, ErrorRecord> notFound)
    {
        if (names is null)
        {
            return all;
        }

        var result = new List<T>();
        foreach (var name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                result.AddRange(all.Where(item => pattern.IsMatch(nameOf(item))));
            }
            else if (all.FirstOrDefault(item => nameOf(item) == name) is { } match)
            {
                result.Add(match);
            }
            else
            {
                WriteError(notFound(name));
            }
        }

        return result.DistinctBy(nameOf).ToArray();
    }

    /// <summary>
    /// A path as the user meant it: relative to PowerShell's current location (never the process's
    /// working folder), '~' and PowerShell drives resolved; null for empty text (not given).
    /// A path that names something other than a file system path (a relative path while the current
    /// location is Env: or a registry drive) ends the command with PathNotInFileSystem (InvalidArgument,
    /// the path as given as target): every path the command would read is relative to the same location.
    /// </summary>
    protected string? ResolvePath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
        {
            // Thrown as an ErrorRecord, not a core exception: callers resolve paths outside Try as well as inside it.
            ThrowTerminating(HeadlessVmErrors.PathNotInFileSystem(path, provider.Name));
        }

        return resolved;
    }
}
