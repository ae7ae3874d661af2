using System.Reflection;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// The libvirt error ids (those <see cref="LibvirtErrors"/> chooses), one row each, raised at the core's
/// libvirt boundary: by a real call where one shows the failure without a daemon or a remote host
/// (libvirt's test driver, the library loader, a unix socket nobody serves), else by libvirt's own error as
/// this machine's libvirt 9.0 reported it, through the one mapping. The ids a cmdlet can raise also have a
/// row in the cmdlet table (HeadlessVm.Tests' ErrorCatalogueTests); the ones it cannot are listed, with the
/// reason, in <see cref="ErrorIdsProvenElsewhere.CoreLibvirtTable"/>, and each must have a row here.
/// </summary>
public sealed class LibvirtErrorCatalogueTests
{
    private const int FromRpc = 7;
    private const int FromQemu = 10;
    private const int FromStorage = 18;
    private const string TestUri = "test:///default";

    /// <summary>A daemon socket in a folder that does not exist: nobody serves it.</summary>
    private const string SocketUri = "qemu+unix:///system?socket=/proc/hvm-no-daemon/libvirt-sock";

    private static readonly Dictionary<string, (FailureKind Kind, string Target, Func<LibvirtException> Raise)> Rows = new()
    {
        [ErrorIds.LibvirtNotInstalled] = (FailureKind.NotInstalled, "libvirt-hvm-missing.so.0", () => Throws(() => LibvirtLibrary.Load("libvirt-hvm-missing.so.0"))),
        [ErrorIds.LibvirtDomainNotFound] = (FailureKind.ObjectNotFound, "no-such-domain", () => OnTestDriver(c => c.GetState("no-such-domain"))),
        [ErrorIds.LibvirtDomainExists] = (FailureKind.ResourceExists, "test", () => OnTestDriver(c =>
            c.DefineNew("<domain type='test'><name>test</name><uuid>0b0b2ba2-8bb0-4b21-9d53-4e2d6a1b3c11</uuid><memory>1024</memory><os><type>hvm</type></os></domain>"))),
        [ErrorIds.HostUnreachable] = (FailureKind.ConnectionError, SocketUri, () => Throws(() => LibvirtConnection.Open(SocketUri))),
        [ErrorIds.HostUnknown] = (FailureKind.ConnectionError, SshUri, () => Mapped(38, FromRpc,
            "Cannot recv data: ssh: Could not resolve hostname no-such-host.invalid: Name or service not known: Connection reset by peer", SshUri, LibvirtCall.Open)),
        [ErrorIds.HostAuthenticationFailed] = (FailureKind.PermissionDenied, SshUri, () => Mapped(38, FromRpc,
            "Cannot recv data: nobody@127.0.0.1: Permission denied (publickey).: Connection reset by peer", SshUri, LibvirtCall.Open)),
        [ErrorIds.HostKeyNotTrusted] = (FailureKind.PermissionDenied, SshUri, () => Mapped(38, FromRpc,
            "Cannot recv data: Host key verification failed.: Connection reset by peer", SshUri, LibvirtCall.Open)),
        [ErrorIds.HostConnectionLost] = (FailureKind.ConnectionError, SshUri, () => Mapped(LibvirtErrorCode.InternalError, FromRpc,
            "internal error: connection closed due to keepalive timeout", SshUri, LibvirtCall.Other)),
        [ErrorIds.DomainStateInvalid] = (FailureKind.InvalidOperation, "hvm-shut-off", () =>
        {
            // Keys to a domain that is not running (KEY_ENTER, linux/input-event-codes.h).
            using var connection = LibvirtConnection.Open(TestUri);
            connection.DefineNew("<domain type='test'><name>hvm-shut-off</name><memory>1024</memory><os><type>hvm</type></os></domain>");
            try
            {
                return Throws(() => connection.SendKeys("hvm-shut-off", new uint[] { 28 }));
            }
            finally
            {
                connection.Undefine("hvm-shut-off");
            }
        }),
        [ErrorIds.InvalidDomainXml] = (FailureKind.InvalidArgument, "hvm-schema", () => OnTestDriver(c =>
            c.DefineNew("<domain type='qemu'><name>hvm-schema</name><memory>lots</memory><os><type>hvm</type></os></domain>"))),
        [ErrorIds.DomainConfigUnsupported] = (FailureKind.InvalidArgument, "vm1", () => Mapped(LibvirtErrorCode.ConfigUnsupported, FromQemu,
            "unsupported configuration: Domain requires KVM, but it is not available", "vm1", LibvirtCall.Other)),
        [ErrorIds.LibvirtTimeout] = (FailureKind.OperationTimeout, "vm1", () => Mapped(LibvirtErrorCode.OperationTimeout, FromQemu,
            "Timed out during operation: cannot acquire state change lock", "vm1", LibvirtCall.Other)),
        [ErrorIds.LibvirtNotSupported] = (FailureKind.InvalidOperation, "test", () => OnTestDriver(c => c.OpenConsole("test"))),
        [ErrorIds.LibvirtInvalidArgument] = (FailureKind.InvalidArgument, "test", () => OnTestDriver(c => c.Start("test", paused: true))),
        [ErrorIds.LibvirtAccessDenied] = (FailureKind.PermissionDenied, "hvm-read-only", () =>
        {
            using var readOnly = LibvirtConnection.Open(TestUri, readOnly: true);
            return Throws(() => readOnly.DefineNew("<domain type='test'><name>hvm-read-only</name><memory>1024</memory><os><type>hvm</type></os></domain>"));
        }),
        [ErrorIds.ConsoleBusy] = (FailureKind.ResourceBusy, "vm1", () => Mapped(LibvirtErrorCode.OperationFailed, FromQemu,
            "operation failed: Active console session exists for this domain", "vm1", LibvirtCall.Console)),
        [ErrorIds.LibvirtResourceBusy] = (FailureKind.ResourceBusy, "vm1", () => Mapped(LibvirtErrorCode.ResourceBusy, FromQemu,
            "resource busy: Disk '/var/lib/libvirt/images/d.qcow2' is in use", "vm1", LibvirtCall.Other)),
        [ErrorIds.LibvirtOperationAborted] = (FailureKind.OperationStopped, "vm1", () => Mapped(LibvirtErrorCode.OperationAborted, FromQemu,
            "operation aborted: job 'domain save' canceled by client", "vm1", LibvirtCall.Other)),
        [ErrorIds.DomainFileNotFound] = (FailureKind.ObjectNotFound, "vm1", () => Mapped(LibvirtErrorCode.SystemError, FromStorage,
            "Cannot access storage file '/nonexistent/d.qcow2' (as uid:64055, gid:64055): No such file or directory", "vm1", LibvirtCall.Other)),
        [ErrorIds.DomainFileAccessDenied] = (FailureKind.PermissionDenied, "vm1", () => Mapped(LibvirtErrorCode.SystemError, FromStorage,
            "Cannot access storage file '/tmp/p/d.qcow2' (as uid:64055, gid:64055): Permission denied", "vm1", LibvirtCall.Other)),
        [ErrorIds.DomainDiskLocked] = (FailureKind.ResourceBusy, "vm1", () => Mapped(LibvirtErrorCode.InternalError, FromQemu,
            "internal error: qemu unexpectedly closed the monitor: qemu-system-x86_64: -blockdev {\"node-name\":\"libvirt-1-format\"}: Failed to get \"write\" lock\n" +
            "Is another process using the image [/var/lib/libvirt/images/d.qcow2]?", "vm1", LibvirtCall.Other)),
        [ErrorIds.LibvirtSystemError] = (FailureKind.ResourceUnavailable, "vm1", () => Mapped(LibvirtErrorCode.SystemError, FromQemu,
            "Unable to create cgroup: Read-only file system", "vm1", LibvirtCall.Other)),
        [ErrorIds.LibvirtOperationFailed] = (FailureKind.InvalidOperation, "vm1", () => Mapped(LibvirtErrorCode.InternalError, FromQemu,
            "internal error: process exited while connecting to monitor", "vm1", LibvirtCall.Other)),
    };

    private const string SshUri = "qemu+ssh://nobody@127.0.0.1/system?no_tty=1";

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in Rows.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_libvirt_error_id_comes_from_its_failure_with_its_kind_and_target(string id)
    {
        var (kind, target, raise) = Rows[id];
        var error = raise();
        Assert.Equal(id, error.ErrorId);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(target, error.Target);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Every_id_the_cmdlet_table_leaves_to_the_core_has_a_row_here_and_every_row_is_a_catalogued_id()
    {
        var catalogue = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var missing = ErrorIdsProvenElsewhere.CoreLibvirtTable.Keys.Where(id => !Rows.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "ids the cmdlet table leaves to the core with no row here: " + string.Join(", ", missing));
        Assert.All(Rows.Keys, id => Assert.Contains(id, catalogue));
    }

    private static LibvirtException OnTestDriver(Action<LibvirtConnection> call)
    {
        using var connection = LibvirtConnection.Open(TestUri);
        return Throws(() => call(connection));
    }

    private static LibvirtException Throws(Action call) => Assert.Throws<LibvirtException>(call);

    private static LibvirtException Throws(Func<object> call) => Assert.Throws<LibvirtException>(() => call());

    private static LibvirtException Mapped(int code, int domain, string message, string target, LibvirtCall call) =>
        LibvirtErrors.Map(new LibvirtError(code, domain, 2, message), target, call);
}
