using System.Net.Sockets;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Qemu;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qmp;

/// <summary>
/// QMP connections to the store's VMs, with the store's checks and errors: VmNotFound, VmNotRunning,
/// and QmpUnavailable when the socket does not answer. A QMP error answer stays a <see cref="QmpException"/>.
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

    /// <summary>Connects to a running VM's QMP socket; the caller disposes it.</summary>
    public QmpClient Connect(string name, CancellationToken cancellationToken = default)
    {
        _store.Get(name);
        var vm = _store.Paths.ForVm(name);
        if (QemuProcess.Find(vm) is null)
        {
            throw HeadlessVmErrors.VmNotRunning(name);
        }

        return Connect(name, vm, cancellationToken);
    }

    /// <summary>Connects to the QMP socket of a VM known to run.</summary>
    public QmpClient Connect(string name, StatePaths.VmFiles vm, CancellationToken cancellationToken = default) =>
        Unavailable(name, vm, () => QmpClient.Connect(vm.QmpSocket, Timeout, _host.Debug, cancellationToken));

    /// <summary>Runs one command on a connection of its own, in one round trip (QmpClient.ExecuteOnce).</summary>
    public void ExecuteOnce(string name, StatePaths.VmFiles vm, string command, object? arguments, CancellationToken cancellationToken = default) =>
        Unavailable(name, vm, () => QmpClient.ExecuteOnce(vm.QmpSocket, Timeout, _host.Debug, cancellationToken, command, arguments));

    /// <summary>Runs a command (stop, cont, system_reset) on a running VM.</summary>
    public void Execute(string name, string command, CancellationToken cancellationToken = default)
    {
        using var qmp = Connect(name, cancellationToken);
        qmp.Execute(command);
    }

    private static T Unavailable<T>(string name, StatePaths.VmFiles vm, Func<T> talk)
    {
        try
        {
            return talk();
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException)
        {
            throw HeadlessVmErrors.QmpUnavailable(name, vm.QmpSocket, ex);
        }
    }
}
