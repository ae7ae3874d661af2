using HeadlessVm.Core.Backends;

namespace HeadlessVm.Core.Hosts;

/// <summary>What one host answered: a value, or the failure that stopped it (its connection, or the work itself).</summary>
public sealed record HostAnswer<T>(HostTarget Target, T? Value, Exception? Failure);

/// <summary>
/// Asks several hosts at once. Each host's work runs on its own task with its own backend, whose reports
/// (warnings, verbose, debug) are kept and replayed on the caller's thread afterwards, host by host in the order
/// given; a host that fails is its own answer and the others go on. A single host is asked on the caller's thread.
/// Every wait honours the token: Ctrl+C ends the waiting (work already sent to a host is not undone). How long one
/// host may take is bounded by its connection: the pool's open timeout, then libvirt's keepalive (5 s x 3).
/// </summary>
public sealed class HostFanOut
{
    private readonly Func<HostTarget, IVmHost, CancellationToken, IVmBackend> _backendFor;
    private readonly IVmHost _host;

    /// <param name="backendFor">A backend for a host, reporting to the given <see cref="IVmHost"/>.</param>
    public HostFanOut(Func<HostTarget, IVmHost, CancellationToken, IVmBackend> backendFor, IVmHost host)
    {
        _backendFor = backendFor;
        _host = host;
    }

    /// <summary>Runs <paramref name="work"/> against each target's backend; one answer per target, in order.</summary>
    public IReadOnlyList<HostAnswer<T>> Run<T>(IReadOnlyList<HostTarget> targets, Func<IVmBackend, T> work, CancellationToken cancellationToken)
    {
        if (targets.Count == 1)
        {
            return new[] { Ask(targets[0], _host, work, cancellationToken) };
        }

        var logs = targets.Select(_ => new BufferedVmHost()).ToArray();
        var tasks = targets.Select((t, i) => Task.Run(() => Ask(t, logs[i], work, cancellationToken), CancellationToken.None)).ToArray();
        try
        {
            Task.WaitAll(tasks, cancellationToken);
        }
        finally
        {
            foreach (var log in logs)
            {
                log.ReplayTo(_host);
            }
        }

        return tasks.Select(t => t.Result).ToArray();
    }

    private HostAnswer<T> Ask<T>(HostTarget target, IVmHost host, Func<IVmBackend, T> work, CancellationToken cancellationToken)
    {
        try
        {
            return new HostAnswer<T>(target, work(_backendFor(target, host, cancellationToken)), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HeadlessVmException or IOException or UnauthorizedAccessException)
        {
            return new HostAnswer<T>(target, default, e);
        }
    }
}
