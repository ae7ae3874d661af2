using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Qemu;

/// <summary>What qemu's message says went wrong when it refused to start, as a specific error that carries the message whole.</summary>
public static class QemuFailures
{
    /// <summary>The error for a qemu start that exited non-zero: an id and kind chosen from qemu's own words.</summary>
    public static NativeCommandException Classify(string vmName, NativeCommand command, NativeResult result)
    {
        var message = result.Message;
        var (id, kind) = message switch
        {
            // 'Failed to get "write" lock / Is another process using the image [PATH]?': qemu's image locking (docs/system/qemu-block-drivers, Image locking).
            _ when Says(message, "Failed to get") && Says(message, " lock") => (ErrorIds.QemuDiskLocked, FailureKind.ResourceBusy),
            _ when Says(message, "CPU model") => (ErrorIds.QemuUnknownCpuModel, FailureKind.InvalidArgument),
            _ when Says(message, "No such file") => (ErrorIds.QemuFileNotFound, FailureKind.ObjectNotFound),
            _ when Says(message, "Permission denied") => (ErrorIds.QemuPermissionDenied, FailureKind.PermissionDenied),
            _ when Says(message, "Address already in use") || Says(message, "available port") || Says(message, "host forwarding")
                => (ErrorIds.QemuPortInUse, FailureKind.ResourceUnavailable),
            _ when Says(message, "Could not open") => (ErrorIds.QemuCannotOpenFile, FailureKind.ObjectNotFound),
            _ => (ErrorIds.QemuStartFailed, FailureKind.InvalidArgument),
        };
        return HeadlessVmErrors.QemuRefused(id, kind, vmName, message, command.Program, result.ExitCode, result.StandardError);
    }

    /// <summary>True for a refusal because another program holds the VM's VNC port (the display can be picked again).</summary>
    public static bool IsVncPortTaken(NativeCommandException ex) =>
        ex.ErrorId == ErrorIds.QemuPortInUse && ex.Message.Contains("-vnc", StringComparison.Ordinal);

    /// <summary>True when a failed start under KVM was KVM's fault (qemu names it), so TCG may work.</summary>
    public static bool BlamesKvm(NativeResult result) => Says(result.StandardError, "kvm");

    /// <summary>The first line of qemu's message, for warnings.</summary>
    public static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    /// <summary>The Debian package that installs qemu-system-ARCH (Debian splits qemu-system by family).</summary>
    public static string DebianPackage(string architecture) => "qemu-system-" + architecture switch
    {
        "x86_64" or "i386" => "x86",
        "aarch64" or "arm" => "arm",
        "ppc64" or "ppc" => "ppc",
        _ => "misc",
    };

    private static bool Says(string message, string words) => message.Contains(words, StringComparison.OrdinalIgnoreCase);
}
