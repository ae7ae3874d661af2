using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>What a failed libvirt call was doing, for the few codes whose meaning depends on it.</summary>
internal enum LibvirtCall
{
    /// <summary>Opening a connection: every transport failure means the host was not reached.</summary>
    Open,

    /// <summary>Defining a domain: VIR_ERR_OPERATION_FAILED there means the name is taken.</summary>
    Define,

    /// <summary>Opening a console: VIR_ERR_OPERATION_FAILED there means another client holds it.</summary>
    Console,

    /// <summary>Making, reverting or deleting a snapshot: VIR_ERR_OPERATION_FAILED "already exists" means the name is taken, VIR_ERR_CONFIG_UNSUPPORTED "internal snapshot for disk" a disk that cannot hold one.</summary>
    Snapshot,

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>
/// The one place that maps libvirt's <c>virErrorNumber</c> codes (virterror.h) to the catalogue's ids
/// (<see cref="ErrorIds"/>); <see cref="HeadlessVmErrors.LibvirtFailure"/> mints them. Every exception keeps
/// libvirt's own message and adds a remedy where there is one.
/// <list type="table">
/// <item><term>LibvirtDomainNotFound</term><description>VIR_ERR_NO_DOMAIN (42) (ObjectNotFound)</description></item>
/// <item><term>LibvirtDomainExists</term><description>VIR_ERR_DOM_EXIST (28), or a define whose name another domain has (ResourceExists)</description></item>
/// <item><term>HostUnreachable</term><description>opening failed in the transport: VIR_ERR_NO_CONNECT (5), VIR_ERR_SYSTEM_ERROR (38), VIR_ERR_RPC (39), ssh errors (ConnectionError)</description></item>
/// <item><term>HostUnknown</term><description>VIR_ERR_UNKNOWN_HOST (4), or ssh could not resolve the name (ConnectionError)</description></item>
/// <item><term>HostAuthenticationFailed</term><description>VIR_ERR_AUTH_FAILED (45), VIR_ERR_AUTH_CANCELLED (79), VIR_ERR_AUTH_UNAVAILABLE (94), or ssh refused the key (PermissionDenied)</description></item>
/// <item><term>HostKeyNotTrusted</term><description>ssh does not know or does not trust the host's key; nothing was asked (PermissionDenied)</description></item>
/// <item><term>HostConnectionLost</term><description>an open connection broke: VIR_ERR_INVALID_CONN (6), VIR_ERR_RPC (39), or a system or internal error from the RPC layer such as "connection closed due to keepalive timeout" (ConnectionError)</description></item>
/// <item><term>DomainStateInvalid</term><description>VIR_ERR_OPERATION_INVALID (55): not possible in the domain's current state (InvalidOperation)</description></item>
/// <item><term>InvalidDomainXml</term><description>VIR_ERR_XML_ERROR (27), VIR_ERR_XML_DETAIL (35), VIR_ERR_XML_INVALID_SCHEMA (92) (InvalidArgument)</description></item>
/// <item><term>DomainConfigUnsupported</term><description>VIR_ERR_CONFIG_UNSUPPORTED (67): valid XML this hypervisor cannot run (InvalidArgument)</description></item>
/// <item><term>LibvirtTimeout</term><description>VIR_ERR_OPERATION_TIMEOUT (68) (OperationTimeout)</description></item>
/// <item><term>LibvirtNotSupported</term><description>VIR_ERR_NO_SUPPORT (3), VIR_ERR_ARGUMENT_UNSUPPORTED (74), VIR_ERR_OPERATION_UNSUPPORTED (84) (InvalidOperation)</description></item>
/// <item><term>LibvirtInvalidArgument</term><description>VIR_ERR_INVALID_ARG (8) (InvalidArgument)</description></item>
/// <item><term>LibvirtAccessDenied</term><description>VIR_ERR_OPERATION_DENIED (29, read-only connection), VIR_ERR_ACCESS_DENIED (88, ACL) (PermissionDenied)</description></item>
/// <item><term>ConsoleBusy</term><description>another client (virt-manager, virsh console) holds the domain's console (ResourceBusy)</description></item>
/// <item><term>LibvirtResourceBusy</term><description>VIR_ERR_RESOURCE_BUSY (87) (ResourceBusy)</description></item>
/// <item><term>LibvirtOperationAborted</term><description>VIR_ERR_OPERATION_ABORTED (78) (OperationStopped)</description></item>
/// <item><term>SnapshotNotFound</term><description>VIR_ERR_NO_DOMAIN_SNAPSHOT (72) (ObjectNotFound)</description></item>
/// <item><term>SnapshotExists</term><description>a snapshot create whose name the domain has: VIR_ERR_OPERATION_FAILED "domain moment NAME already exists" (ResourceExists)</description></item>
/// <item><term>DiskCannotSnapshot</term><description>a snapshot create refused for a disk: VIR_ERR_CONFIG_UNSUPPORTED "internal snapshot for disk vdb unsupported for storage type raw" (InvalidOperation)</description></item>
/// <item><term>DomainFileNotFound</term><description>a file the domain uses does not exist on the libvirt host ("No such file or directory") (ObjectNotFound)</description></item>
/// <item><term>DomainFileAccessDenied</term><description>a file the domain uses cannot be read by the user qemu runs as (libvirt-qemu on qemu:///system): "Permission denied" outside the transport (PermissionDenied)</description></item>
/// <item><term>DomainDiskLocked</term><description>qemu's image lock refused a disk that another process on the libvirt host writes, such as another running domain ("Failed to get "write" lock / Is another process using the image [PATH]?", naming the image) (ResourceBusy)</description></item>
/// <item><term>LibvirtSystemError</term><description>any other system call failure in the hypervisor driver (ResourceUnavailable)</description></item>
/// <item><term>LibvirtOperationFailed</term><description>any other code: VIR_ERR_INTERNAL_ERROR (1), VIR_ERR_OPERATION_FAILED (9), ... (InvalidOperation)</description></item>
/// </list>
/// </summary>
public static class LibvirtErrors
{
    /// <summary>The target of an error that concerns no domain or connection (the library itself).</summary>
    private const string Libvirt = "libvirt";

    /// <summary>What makes a disk able to hold libvirt's internal snapshots, as the store says it.</summary>
    private const string SnapshotCapable = "Internal snapshots live inside qcow2 images: convert the disk (qemu-img convert -O qcow2) and give the domain <driver type='qcow2'/> for it.";

    /// <summary>virErrorDomain VIR_FROM_RPC (virterror.h): the error came from the client/daemon transport.</summary>
    private const int FromRpc = 7;

    /// <summary>Reads this thread's last libvirt error (read it right after the failing call) and maps it.</summary>
    internal static LibvirtException FromLastError(string? target, LibvirtCall call)
    {
        var error = ErrorApi.TakeLast();
        return error is null
            ? HeadlessVmErrors.LibvirtFailure(ErrorIds.LibvirtOperationFailed, FailureKind.InvalidOperation, target ?? Libvirt,
                "libvirt reported a failure but recorded no error.", null)
            : Map(error, target, call);
    }

    /// <summary>Maps one libvirt error to an id, a kind and a message (libvirt's text plus a remedy where known).</summary>
    internal static LibvirtException Map(LibvirtError error, string? target, LibvirtCall call)
    {
        var (id, kind, remedy) = Classify(error, call);
        var message = error.Message;

        // Some drivers say only "Domain not found" (the test driver); the name makes the message stand alone.
        if (id == ErrorIds.LibvirtDomainNotFound && target is not null && !message.Contains(target, StringComparison.Ordinal))
        {
            message = $"{message}: no domain named '{target}'.";
        }

        return HeadlessVmErrors.LibvirtFailure(id, kind, target ?? Libvirt, remedy is null ? message : HeadlessVmErrors.SaidThen(message, remedy), error);
    }

    private static (string Id, FailureKind Kind, string? Remedy) Classify(LibvirtError error, LibvirtCall call)
    {
        if (call == LibvirtCall.Open && OpenFailure(error) is { } open)
        {
            return open;
        }

        if (error.Code is LibvirtErrorCode.SystemError or LibvirtErrorCode.InternalError && error.Domain != FromRpc)
        {
            if (Mentions(error, "Permission denied"))
            {
                return (ErrorIds.DomainFileAccessDenied, FailureKind.PermissionDenied,
                    "On qemu:///system the VM runs as the libvirt-qemu user; keep its files where that user can read them, such as /var/lib/libvirt/images.");
            }

            // qemu's image locking, quoted by libvirt when qemu exits at start.
            if (Mentions(error, "Failed to get \"write\" lock") || Mentions(error, "Is another process using the image"))
            {
                return (ErrorIds.DomainDiskLocked, FailureKind.ResourceBusy,
                    "Another process on the libvirt host, such as a running VM, writes this disk image: stop it, or give this VM a disk of its own.");
            }

            if (error.Code == LibvirtErrorCode.SystemError && Mentions(error, "No such file or directory"))
            {
                return (ErrorIds.DomainFileNotFound, FailureKind.ObjectNotFound, "Paths are read on the libvirt host, not where this command runs.");
            }
        }

        return error.Code switch
        {
            LibvirtErrorCode.NoDomain => (ErrorIds.LibvirtDomainNotFound, FailureKind.ObjectNotFound, null),
            LibvirtErrorCode.DomainExists => (ErrorIds.LibvirtDomainExists, FailureKind.ResourceExists, null),
            LibvirtErrorCode.NoDomainSnapshot => (ErrorIds.SnapshotNotFound, FailureKind.ObjectNotFound, "Get-HeadlessVmSnapshot lists the VM's checkpoints."),
            LibvirtErrorCode.OperationFailed when call == LibvirtCall.Snapshot && Mentions(error, "already exists") =>
                (ErrorIds.SnapshotExists, FailureKind.ResourceExists, "Choose another -SnapshotName, or remove it first with Remove-HeadlessVmSnapshot."),
            LibvirtErrorCode.ConfigUnsupported when call == LibvirtCall.Snapshot && Mentions(error, "internal snapshot for disk") =>
                (ErrorIds.DiskCannotSnapshot, FailureKind.InvalidOperation, SnapshotCapable),
            LibvirtErrorCode.OperationFailed when call == LibvirtCall.Define && Mentions(error, "already exists") =>
                (ErrorIds.LibvirtDomainExists, FailureKind.ResourceExists, null),
            LibvirtErrorCode.OperationFailed when call == LibvirtCall.Console =>
                (ErrorIds.ConsoleBusy, FailureKind.ResourceBusy, "Close the other console (virt-manager, virsh console) or open it with force."),
            LibvirtErrorCode.AuthFailed or LibvirtErrorCode.AuthCancelled or LibvirtErrorCode.AuthUnavailable =>
                (ErrorIds.HostAuthenticationFailed, FailureKind.PermissionDenied, null),
            LibvirtErrorCode.OperationInvalid => (ErrorIds.DomainStateInvalid, FailureKind.InvalidOperation, null),
            LibvirtErrorCode.XmlError or LibvirtErrorCode.XmlDetail or LibvirtErrorCode.XmlInvalidSchema =>
                (ErrorIds.InvalidDomainXml, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.ConfigUnsupported => (ErrorIds.DomainConfigUnsupported, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.OperationTimeout => (ErrorIds.LibvirtTimeout, FailureKind.OperationTimeout, null),
            LibvirtErrorCode.NoSupport or LibvirtErrorCode.ArgumentUnsupported or LibvirtErrorCode.OperationUnsupported =>
                (ErrorIds.LibvirtNotSupported, FailureKind.InvalidOperation, null),
            LibvirtErrorCode.InvalidArgument => (ErrorIds.LibvirtInvalidArgument, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.OperationDenied or LibvirtErrorCode.AccessDenied =>
                (ErrorIds.LibvirtAccessDenied, FailureKind.PermissionDenied, null),
            LibvirtErrorCode.ResourceBusy => (ErrorIds.LibvirtResourceBusy, FailureKind.ResourceBusy, null),
            LibvirtErrorCode.OperationAborted => (ErrorIds.LibvirtOperationAborted, FailureKind.OperationStopped, null),
            LibvirtErrorCode.InvalidConnection or LibvirtErrorCode.Rpc => (ErrorIds.HostConnectionLost, FailureKind.ConnectionError, null),
            LibvirtErrorCode.SystemError or LibvirtErrorCode.InternalError when error.Domain == FromRpc =>
                (ErrorIds.HostConnectionLost, FailureKind.ConnectionError, null),
            LibvirtErrorCode.SystemError => (ErrorIds.LibvirtSystemError, FailureKind.ResourceUnavailable, null),
            _ => (ErrorIds.LibvirtOperationFailed, FailureKind.InvalidOperation, null),
        };
    }

    /// <summary>
    /// A failed open. With the ssh transport libvirt reports ssh's own stderr inside its message, so ssh's
    /// fixed phrases tell an untrusted host key and a refused login apart from an unreachable host.
    /// </summary>
    private static (string, FailureKind, string?)? OpenFailure(LibvirtError error)
    {
        if (SshMessages.Classify(error.Message) is { } ssh && ssh.Id != ErrorIds.HostUnreachable)
        {
            return ssh;
        }

        if (error.Code == LibvirtErrorCode.UnknownHost)
        {
            return (ErrorIds.HostUnknown, FailureKind.ConnectionError, null);
        }

        // The host answered (over ssh, virt-ssh-helper or nc ran there) but nothing listens on libvirtd's socket.
        if (Mentions(error, "libvirt-sock"))
        {
            return (ErrorIds.HostUnreachable, FailureKind.ConnectionError,
                "The machine answered, but its libvirtd does not listen on its socket: start libvirtd there (systemctl start libvirtd, or libvirtd -d).");
        }

        return error.Code switch
        {
            LibvirtErrorCode.NoConnect or LibvirtErrorCode.SystemError or LibvirtErrorCode.Rpc
                or LibvirtErrorCode.Ssh or LibvirtErrorCode.LibSsh =>
                (ErrorIds.HostUnreachable, FailureKind.ConnectionError, null),
            _ => null,
        };
    }

    private static bool Mentions(LibvirtError error, string phrase) =>
        error.Message.Contains(phrase, StringComparison.Ordinal);
}
