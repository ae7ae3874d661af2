using System.Net.Sockets;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qmp;

/// <summary>
/// QMP to the store's VMs, with the store's checks and errors: VmNotFound, VmNotRunning, QmpUnavailable
/// when the socket fails, QmpCommandFailed when qemu answers with an error. Nothing of QMP leaks out.
/// </summary>
public sealed class VmMonitor
{
    /// <summary>How long a connection, and each answer on it, may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly VmStore _store;
    private readonly IVmHost _host;

    public VmMonitor(VmStore store, IVmHost host)
    {
        _store = store;
        _host = host;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a connection to a running VM (VmNotFound, VmNotRunning otherwise).
    /// A QMP error answer becomes QmpCommandFailed, a socket that fails or stops answering QmpUnavailable.
    /// </summary>
    public void Session(string name, CancellationToken cancellationToken, Action<QmpClient> work)
    {
        _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        if (QemuProcess.Find(vm) is null)
        {
            throw HeadlessVmErrors.VmNotRunning(name);
        }

        Session(name, vm, cancellationToken, work);
    }

    /// <summary>
    /// As <see cref="Session(string, CancellationToken, Action{QmpClient})"/>, for a VM known to run; each answer may take
    /// <paramref name="answerTimeout"/> (<see cref="Timeout"/> when null). Cancelling closes the connection, which ends a
    /// read in progress at once; the cancellation is then thrown as such.
    /// </summary>
    public void Session(string name, StatePaths.VmFiles vm, CancellationToken cancellationToken, Action<QmpClient> work, TimeSpan? answerTimeout = null) => Mapped(name, vm, () =>
    {
        using var qmp = QmpClient.Connect(vm.QmpSocket, answerTimeout ?? Timeout, _host.Debug, cancellationToken);
        using var closeOnCancel = cancellationToken.Register(qmp.Abort);
        try
        {
            work(qmp);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is IOException or ObjectDisposedException or SocketException or TimeoutException)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    });

    /// <summary>Runs one command on a connection of its own, in one round trip (QmpClient.ExecuteOnce).</summary>
    public void ExecuteOnce(string name, StatePaths.VmFiles vm, string command, object? arguments, CancellationToken cancellationToken = default) =>
        Mapped(name, vm, () => QmpClient.ExecuteOnce(vm.QmpSocket, Timeout, _host.Debug, cancellationToken, command, arguments));

    /// <summary>Runs a command without arguments (stop, cont, system_reset) on a running VM.</summary>
    public void Execute(string name, string command, CancellationToken cancellationToken = default) =>
        Session(name, cancellationToken, qmp => qmp.Execute(command));

    private static void Mapped(string name, StatePaths.VmFiles vm, Action talk)
    {
        try
        {
            talk();
        }
        catch (QmpException ex)
        {
            throw HeadlessVmErrors.QmpCommandFailed(name, ex.Command, ex.Description, ex);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException)
        {
            throw HeadlessVmErrors.QmpUnavailable(name, vm.QmpSocket, ex);
        }
    }
}
