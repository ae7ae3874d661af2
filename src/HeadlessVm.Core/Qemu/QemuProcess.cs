using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>A VM's qemu as a daemon: found through its qemu.pid, and only when its command line names this VM's own QMP socket.</summary>
public static class QemuProcess
{
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>The daemon of <paramref name="vm"/>'s folder.</summary>
    public static Daemon Of(StatePaths.VmFiles vm)
    {
        // The QMP socket path is unique to the VM's folder; qemu's argv carries it in -chardev (QemuArgumentBuilder).
        var marker = $"path={QemuArgumentBuilder.Escape(vm.QmpSocket)},";
        return new Daemon(vm.PidFile, argv => argv.Any(a => a.Contains(marker, StringComparison.Ordinal)));
    }

    /// <summary>The PID of the VM's qemu, or null when it does not run.</summary>
    public static int? Find(StatePaths.VmFiles vm) => Of(vm).Find();

    /// <summary>Kills the VM's qemu at once, if it runs (a start that failed half way).</summary>
    public static void Kill(StatePaths.VmFiles vm)
    {
        if (Find(vm) is { } pid)
        {
            Daemon.Kill(pid, KillWait);
        }
    }

    /// <summary>Forgets the facts of a run that ended: pidfile, QMP socket, run.json.</summary>
    public static void ForgetRun(StatePaths.VmFiles vm)
    {
        foreach (var file in new[] { vm.PidFile, vm.QmpSocket, vm.RunFile })
        {
            PrivateFiles.TryDelete(file);
        }
    }
}
