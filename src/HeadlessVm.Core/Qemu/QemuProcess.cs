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

    /// <summary>
    /// Kills every qemu of the VM at once (a start that failed or was interrupted half way): the one its
    /// pidfile names, and any process whose command line names its QMP socket, which is how a qemu is
    /// found that was cut off before it wrote its pidfile. qemu -daemonize forks twice (os-posix.c), so
    /// /proc is searched again after each kill until no such process is left.
    /// </summary>
    public static void Kill(StatePaths.VmFiles vm)
    {
        var daemon = Of(vm);
        for (var round = 0; round < 10; round++)
        {
            var pids = daemon.FindAll().ToHashSet();
            if (daemon.Find() is { } recorded)
            {
                pids.Add(recorded);
            }

            if (pids.Count == 0)
            {
                return;
            }

            foreach (var pid in pids)
            {
                Daemon.Kill(pid, KillWait);
            }
        }
    }

    /// <summary>The PID of the VM's qemu found by its command line alone, whatever its pidfile says (a VM whose record is damaged).</summary>
    public static int? FindByCommandLine(StatePaths.VmFiles vm) => Of(vm).FindListener();

    /// <summary>Forgets the facts of a run that ended: pidfile, QMP socket, run.json.</summary>
    public static void ForgetRun(StatePaths.VmFiles vm)
    {
        foreach (var file in new[] { vm.PidFile, vm.QmpSocket, vm.RunFile })
        {
            PrivateFiles.TryDelete(file);
        }
    }
}
