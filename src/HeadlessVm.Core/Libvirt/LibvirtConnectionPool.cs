using System.Runtime.ExceptionServices;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// The libvirt connections of this process, one per URI, kept open between commands so that repeated cmdlets in
/// one pwsh reuse them (an open connection answers in well under a millisecond; a new ssh one costs 0.4-1 s).
/// Each open runs on its own task, so a dead host holds up no caller longer than <see cref="OpenTimeout"/> and
/// Ctrl+C stops the waiting at once; the open itself finishes in the background and its connection is kept
/// for the next caller. Concurrent callers for one URI share one open. A connection libvirt has found dead
/// (keepalive, the daemon gone: <see cref="LibvirtConnection.IsAlive"/>) is closed and opened again on the
/// next call; a failed open is not remembered.
/// </summary>
public sealed class LibvirtConnectionPool : IDisposable
{
    /// <summary>How long a caller waits for a new connection by default: ssh's own connect timeout is often two minutes.</summary>
    public static readonly TimeSpan DefaultOpenTimeout = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Dictionary<string, Task<LibvirtConnection>> _connections = new(StringComparer.Ordinal);

    /// <param name="openTimeout">How long <see cref="Get"/> waits for an open; <see cref="DefaultOpenTimeout"/> when null.</param>
    public LibvirtConnectionPool(TimeSpan? openTimeout = null) => OpenTimeout = openTimeout ?? DefaultOpenTimeout;

    /// <summary>The process's pool, which every command's context uses unless given another.</summary>
    public static LibvirtConnectionPool Shared { get; } = new();

    public TimeSpan OpenTimeout { get; }

    /// <summary>
    /// The open connection to <paramref name="uri"/>, opening it when there is none or it died. Throws the open's
    /// <see cref="LibvirtException"/> (target: the URI), HostTimeout (target: <paramref name="host"/>) after
    /// <see cref="OpenTimeout"/>, or <see cref="OperationCanceledException"/>.
    /// </summary>
    public LibvirtConnection Get(string uri, string host, CancellationToken cancellationToken)
    {
        Task<LibvirtConnection> open;
        lock (_gate)
        {
            if (!_connections.TryGetValue(uri, out open!) || IsDead(open))
            {
                if (open is { IsCompletedSuccessfully: true })
                {
                    open.Result.Dispose();
                }

                open = Task.Run(() => LibvirtConnection.Open(uri));
                _connections[uri] = open;
            }
        }

        try
        {
            if (!open.Wait(OpenTimeout, cancellationToken))
            {
                throw HeadlessVmErrors.HostTimeout(host, uri, OpenTimeout);
            }
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            Forget(uri, open);
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }

        return open.Result;
    }

    /// <summary>True while this process holds a live connection to <paramref name="uri"/> (nothing is opened).</summary>
    public bool IsOpen(string uri)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(uri, out var open) && open.IsCompletedSuccessfully && open.Result.IsAlive;
        }
    }

    /// <summary>
    /// Closes the connection to <paramref name="uri"/> if the pool has one (Disconnect-HeadlessVmHost): its event
    /// callbacks are deregistered first. An open still under way is closed when it finishes. True when there was one.
    /// </summary>
    public bool Close(string uri)
    {
        Task<LibvirtConnection>? open;
        lock (_gate)
        {
            if (!_connections.Remove(uri, out open))
            {
                return false;
            }
        }

        open.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return true;
    }

    /// <summary>Closes every connection.</summary>
    public void Dispose()
    {
        string[] uris;
        lock (_gate)
        {
            uris = _connections.Keys.ToArray();
        }

        foreach (var uri in uris)
        {
            Close(uri);
        }
    }

    private void Forget(string uri, Task<LibvirtConnection> failed)
    {
        lock (_gate)
        {
            if (_connections.TryGetValue(uri, out var current) && current == failed)
            {
                _connections.Remove(uri);
            }
        }
    }

    private static bool IsDead(Task<LibvirtConnection> open) =>
        open.IsFaulted || open.IsCanceled || (open.IsCompletedSuccessfully && !open.Result.IsAlive);
}
