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

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>
/// The catalogue of libvirt error ids and the one place that maps libvirt's <c>virErrorNumber</c> codes
/// (virterror.h) to them. Every exception keeps libvirt's own message and adds a remedy where there is one.
/// </summary>
public static class LibvirtErrors
{
    /// <summary>libvirt.so.0 or libvirt-qemu.so.0 cannot be loaded (FailureKind.NotInstalled).</summary>
    public const string LibvirtNotInstalled = "LibvirtNotInstalled";

    /// <summary>VIR_ERR_NO_DOMAIN (42): no domain by that name or UUID (ObjectNotFound).</summary>
    public const string LibvirtDomainNotFound = "LibvirtDomainNotFound";

    /// <summary>VIR_ERR_DOM_EXIST (28), or a define whose name another domain has (ResourceExists).</summary>
    public const string LibvirtDomainExists = "LibvirtDomainExists";

    /// <summary>Opening failed in the transport: VIR_ERR_NO_CONNECT (5), VIR_ERR_SYSTEM_ERROR (38), VIR_ERR_RPC (39) (ConnectionError).</summary>
    public const string HostUnreachable = "HostUnreachable";

    /// <summary>VIR_ERR_UNKNOWN_HOST (4), or ssh could not resolve the name (ConnectionError).</summary>
    public const string HostUnknown = "HostUnknown";

    /// <summary>VIR_ERR_AUTH_FAILED (45), VIR_ERR_AUTH_CANCELLED (79), VIR_ERR_AUTH_UNAVAILABLE (94), or ssh refused the key (PermissionDenied).</summary>
    public const string HostAuthenticationFailed = "HostAuthenticationFailed";

    /// <summary>ssh does not know or does not trust the host's key; nothing was asked (PermissionDenied).</summary>
    public const string HostKeyNotTrusted = "HostKeyNotTrusted";

    /// <summary>
    /// An open connection broke: VIR_ERR_INVALID_CONN (6), VIR_ERR_RPC (39), or a system or internal error from the
    /// RPC layer, such as "connection closed due to keepalive timeout" (ConnectionError).
    /// </summary>
    public const string HostConnectionLost = "HostConnectionLost";

    /// <summary>VIR_ERR_OPERATION_INVALID (55): not possible in the domain's current state (InvalidOperation).</summary>
    public const string DomainStateInvalid = "DomainStateInvalid";

    /// <summary>VIR_ERR_XML_ERROR (27), VIR_ERR_XML_DETAIL (35), VIR_ERR_XML_INVALID_SCHEMA (92) (InvalidArgument).</summary>
    public const string InvalidDomainXml = "InvalidDomainXml";

    /// <summary>VIR_ERR_CONFIG_UNSUPPORTED (67): valid XML this hypervisor cannot run (InvalidArgument).</summary>
    public const string DomainConfigUnsupported = "DomainConfigUnsupported";

    /// <summary>VIR_ERR_OPERATION_TIMEOUT (68) (OperationTimeout).</summary>
    public const string LibvirtTimeout = "LibvirtTimeout";

    /// <summary>VIR_ERR_NO_SUPPORT (3), VIR_ERR_ARGUMENT_UNSUPPORTED (74), VIR_ERR_OPERATION_UNSUPPORTED (84) (InvalidOperation).</summary>
    public const string LibvirtNotSupported = "LibvirtNotSupported";

    /// <summary>VIR_ERR_INVALID_ARG (8) (InvalidArgument).</summary>
    public const string LibvirtInvalidArgument = "LibvirtInvalidArgument";

    /// <summary>VIR_ERR_OPERATION_DENIED (29, read-only connection) and VIR_ERR_ACCESS_DENIED (88, ACL) (PermissionDenied).</summary>
    public const string LibvirtAccessDenied = "LibvirtAccessDenied";

    /// <summary>Another client (virt-manager, virsh console) holds the domain's console (ResourceBusy).</summary>
    public const string ConsoleBusy = "ConsoleBusy";

    /// <summary>VIR_ERR_RESOURCE_BUSY (87) (ResourceBusy).</summary>
    public const string LibvirtResourceBusy = "LibvirtResourceBusy";

    /// <summary>VIR_ERR_OPERATION_ABORTED (78) (OperationStopped).</summary>
    public const string LibvirtOperationAborted = "LibvirtOperationAborted";

    /// <summary>
    /// A file the domain uses does not exist on the libvirt host (a system error saying "No such file or
    /// directory": "unable to stat", "Cannot access storage file") (ObjectNotFound).
    /// </summary>
    public const string DomainFileNotFound = "DomainFileNotFound";

    /// <summary>
    /// A file the domain uses cannot be read by the user qemu runs as (libvirt-qemu on qemu:///system): a system
    /// or internal error saying "Permission denied" outside the transport (PermissionDenied).
    /// </summary>
    public const string DomainFileAccessDenied = "DomainFileAccessDenied";

    /// <summary>Any other system call failure in the hypervisor driver (ResourceUnavailable).</summary>
    public const string LibvirtSystemError = "LibvirtSystemError";

    /// <summary>Any other code: VIR_ERR_INTERNAL_ERROR (1), VIR_ERR_OPERATION_FAILED (9), ... (InvalidOperation).</summary>
    public const string LibvirtOperationFailed = "LibvirtOperationFailed";

    /// <summary>virErrorDomain VIR_FROM_RPC (virterror.h): the error came from the client/daemon transport.</summary>
    private const int FromRpc = 7;

    /// <summary>The library could not be loaded; the message names the Debian package to install.</summary>
    public static LibvirtException NotInstalled(string fileName, string package) => new(
        LibvirtNotInstalled, FailureKind.NotInstalled, fileName,
        $"The libvirt client library '{fileName}' could not be loaded. Install it with 'apt-get install {package}'.");

    /// <summary>Reads this thread's last libvirt error (read it right after the failing call) and maps it.</summary>
    internal static LibvirtException FromLastError(string? target, LibvirtCall call)
    {
        var error = ErrorApi.TakeLast();
        return error is null
            ? new LibvirtException(LibvirtOperationFailed, FailureKind.InvalidOperation, target,
                "libvirt reported a failure but recorded no error.")
            : Map(error, target, call);
    }

    /// <summary>Maps one libvirt error to an id, a kind and a message (libvirt's text plus a remedy where known).</summary>
    internal static LibvirtException Map(LibvirtError error, string? target, LibvirtCall call)
    {
        var (id, kind, remedy) = Classify(error, call);
        var message = error.Message;

        // Some drivers say only "Domain not found" (the test driver); the name makes the message stand alone.
        if (id == LibvirtDomainNotFound && target is not null && !message.Contains(target, StringComparison.Ordinal))
        {
            message = $"{message}: no domain named '{target}'.";
        }

        return new LibvirtException(id, kind, target, remedy is null ? message : $"{message} {remedy}", error);
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
                return (DomainFileAccessDenied, FailureKind.PermissionDenied,
                    "On qemu:///system the VM runs as the libvirt-qemu user; keep its files where that user can read them, such as /var/lib/libvirt/images.");
            }

            if (error.Code == LibvirtErrorCode.SystemError && Mentions(error, "No such file or directory"))
            {
                return (DomainFileNotFound, FailureKind.ObjectNotFound, "Paths are read on the libvirt host, not where this command runs.");
            }
        }

        return error.Code switch
        {
            LibvirtErrorCode.NoDomain => (LibvirtDomainNotFound, FailureKind.ObjectNotFound, null),
            LibvirtErrorCode.DomainExists => (LibvirtDomainExists, FailureKind.ResourceExists, null),
            LibvirtErrorCode.OperationFailed when call == LibvirtCall.Define && Mentions(error, "already exists") =>
                (LibvirtDomainExists, FailureKind.ResourceExists, null),
            LibvirtErrorCode.OperationFailed when call == LibvirtCall.Console =>
                (ConsoleBusy, FailureKind.ResourceBusy, "Close the other console (virt-manager, virsh console) or open it with force."),
            LibvirtErrorCode.AuthFailed or LibvirtErrorCode.AuthCancelled or LibvirtErrorCode.AuthUnavailable =>
                (HostAuthenticationFailed, FailureKind.PermissionDenied, null),
            LibvirtErrorCode.OperationInvalid => (DomainStateInvalid, FailureKind.InvalidOperation, null),
            LibvirtErrorCode.XmlError or LibvirtErrorCode.XmlDetail or LibvirtErrorCode.XmlInvalidSchema =>
                (InvalidDomainXml, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.ConfigUnsupported => (DomainConfigUnsupported, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.OperationTimeout => (LibvirtTimeout, FailureKind.OperationTimeout, null),
            LibvirtErrorCode.NoSupport or LibvirtErrorCode.ArgumentUnsupported or LibvirtErrorCode.OperationUnsupported =>
                (LibvirtNotSupported, FailureKind.InvalidOperation, null),
            LibvirtErrorCode.InvalidArgument => (LibvirtInvalidArgument, FailureKind.InvalidArgument, null),
            LibvirtErrorCode.OperationDenied or LibvirtErrorCode.AccessDenied =>
                (LibvirtAccessDenied, FailureKind.PermissionDenied, null),
            LibvirtErrorCode.ResourceBusy => (LibvirtResourceBusy, FailureKind.ResourceBusy, null),
            LibvirtErrorCode.OperationAborted => (LibvirtOperationAborted, FailureKind.OperationStopped, null),
            LibvirtErrorCode.InvalidConnection or LibvirtErrorCode.Rpc => (HostConnectionLost, FailureKind.ConnectionError, null),
            LibvirtErrorCode.SystemError or LibvirtErrorCode.InternalError when error.Domain == FromRpc =>
                (HostConnectionLost, FailureKind.ConnectionError, null),
            LibvirtErrorCode.SystemError => (LibvirtSystemError, FailureKind.ResourceUnavailable, null),
            _ => (LibvirtOperationFailed, FailureKind.InvalidOperation, null),
        };
    }

    /// <summary>
    /// A failed open. With the ssh transport libvirt reports ssh's own stderr inside its message, so ssh's
    /// fixed phrases tell an untrusted host key and a refused login apart from an unreachable host.
    /// </summary>
    private static (string, FailureKind, string?)? OpenFailure(LibvirtError error)
    {
        if (Mentions(error, "Host key verification failed") || Mentions(error, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        {
            return (HostKeyNotTrusted, FailureKind.PermissionDenied,
                "The host's ssh key is not in known_hosts (or changed); nothing was asked. Check the key and add it, e.g. by running 'ssh USER@HOST true' once in a terminal.");
        }

        if (Mentions(error, "Permission denied (") || Mentions(error, "Too many authentication failures"))
        {
            return (HostAuthenticationFailed, FailureKind.PermissionDenied,
                "ssh could not log in without a prompt; load a key into ssh-agent or name one with the URI's keyfile= parameter.");
        }

        if (error.Code == LibvirtErrorCode.UnknownHost || Mentions(error, "Could not resolve hostname"))
        {
            return (HostUnknown, FailureKind.ConnectionError, null);
        }

        return error.Code switch
        {
            LibvirtErrorCode.NoConnect or LibvirtErrorCode.SystemError or LibvirtErrorCode.Rpc
                or LibvirtErrorCode.Ssh or LibvirtErrorCode.LibSsh =>
                (HostUnreachable, FailureKind.ConnectionError, null),
            _ => null,
        };
    }

    private static bool Mentions(LibvirtError error, string phrase) =>
        error.Message.Contains(phrase, StringComparison.Ordinal);
}
