namespace HeadlessVm.Core.Tunnels;

/// <summary>A host's tunnel lock, held while a bridge is recorded for a forward just made; <see cref="Cancel"/> undoes the forward when the bridge is not.</summary>
public sealed class TunnelLease : IDisposable
{
    private readonly IDisposable _lock;
    private readonly Action _cancel;

    internal TunnelLease(IDisposable held, Action cancel)
    {
        _lock = held;
        _cancel = cancel;
    }

    /// <summary>Cancels the forward unless a bridge was recorded for it (its master ends when it was the host's last).</summary>
    public void Cancel() => _cancel();

    public void Dispose() => _lock.Dispose();
}
