using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>
/// The code-to-id table, for codes the test driver cannot produce. The ssh messages are what libvirt 9.0 reported
/// on this machine for OpenSSH 9.2 refusing a connection (captured against a real sshd on loopback).
/// </summary>
public sealed class LibvirtErrorsTests
{
    private const int FromRpc = 7;
    private const int FromQemu = 10;
    private const int FromStorage = 18;
    private const int FromSecurity = 24;

    [Theory]
    [InlineData(LibvirtErrorCode.NoDomain, ErrorIds.LibvirtDomainNotFound, FailureKind.ObjectNotFound)]
    [InlineData(LibvirtErrorCode.DomainExists, ErrorIds.LibvirtDomainExists, FailureKind.ResourceExists)]
    [InlineData(LibvirtErrorCode.NoDomainSnapshot, ErrorIds.SnapshotNotFound, FailureKind.ObjectNotFound)]
    [InlineData(LibvirtErrorCode.AuthFailed, ErrorIds.HostAuthenticationFailed, FailureKind.PermissionDenied)]
    [InlineData(LibvirtErrorCode.AuthCancelled, ErrorIds.HostAuthenticationFailed, FailureKind.PermissionDenied)]
    [InlineData(LibvirtErrorCode.OperationInvalid, ErrorIds.DomainStateInvalid, FailureKind.InvalidOperation)]
    [InlineData(LibvirtErrorCode.XmlError, ErrorIds.InvalidDomainXml, FailureKind.InvalidArgument)]
    [InlineData(LibvirtErrorCode.XmlInvalidSchema, ErrorIds.InvalidDomainXml, FailureKind.InvalidArgument)]
    [InlineData(LibvirtErrorCode.ConfigUnsupported, ErrorIds.DomainConfigUnsupported, FailureKind.InvalidArgument)]
    [InlineData(LibvirtErrorCode.OperationTimeout, ErrorIds.LibvirtTimeout, FailureKind.OperationTimeout)]
    [InlineData(LibvirtErrorCode.NoSupport, ErrorIds.LibvirtNotSupported, FailureKind.InvalidOperation)]
    [InlineData(LibvirtErrorCode.OperationUnsupported, ErrorIds.LibvirtNotSupported, FailureKind.InvalidOperation)]
    [InlineData(LibvirtErrorCode.InvalidArgument, ErrorIds.LibvirtInvalidArgument, FailureKind.InvalidArgument)]
    [InlineData(LibvirtErrorCode.OperationDenied, ErrorIds.LibvirtAccessDenied, FailureKind.PermissionDenied)]
    [InlineData(LibvirtErrorCode.AccessDenied, ErrorIds.LibvirtAccessDenied, FailureKind.PermissionDenied)]
    [InlineData(LibvirtErrorCode.ResourceBusy, ErrorIds.LibvirtResourceBusy, FailureKind.ResourceBusy)]
    [InlineData(LibvirtErrorCode.OperationAborted, ErrorIds.LibvirtOperationAborted, FailureKind.OperationStopped)]
    [InlineData(LibvirtErrorCode.InvalidConnection, ErrorIds.HostConnectionLost, FailureKind.ConnectionError)]
    [InlineData(LibvirtErrorCode.InternalError, ErrorIds.LibvirtOperationFailed, FailureKind.InvalidOperation)]
    [InlineData(LibvirtErrorCode.OperationFailed, ErrorIds.LibvirtOperationFailed, FailureKind.InvalidOperation)]
    public void Each_libvirt_code_maps_to_one_id_and_kind_and_keeps_libvirts_error(int code, string id, FailureKind kind)
    {
        var error = new LibvirtError(code, FromQemu, 2, "libvirt said so");
        var mapped = LibvirtErrors.Map(error, "vm1", LibvirtCall.Other);
        Assert.Equal(id, mapped.ErrorId);
        Assert.Equal(kind, mapped.Kind);
        Assert.Equal("vm1", mapped.Target);
        Assert.Same(error, mapped.Error);
        Assert.StartsWith("libvirt said so", mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_code_means_more_in_its_context()
    {
        var busy = new LibvirtError(LibvirtErrorCode.OperationFailed, FromQemu, 2, "operation failed: Active console session exists for this domain");
        Assert.Equal(ErrorIds.ConsoleBusy, LibvirtErrors.Map(busy, "vm1", LibvirtCall.Console).ErrorId);

        var taken = new LibvirtError(LibvirtErrorCode.OperationFailed, 12, 2, "operation failed: domain 'vm1' already exists with uuid 3c80acff-095d-4978-86c5-ee7173de8536");
        Assert.Equal(ErrorIds.LibvirtDomainExists, LibvirtErrors.Map(taken, "vm1", LibvirtCall.Define).ErrorId);

        // What libvirt 9.0's QEMU driver said on this machine for a snapshot name taken and a raw disk (virsh snapshot-create-as).
        var moment = new LibvirtError(LibvirtErrorCode.OperationFailed, FromQemu, 2, "operation failed: domain moment s1 already exists");
        Assert.Equal(ErrorIds.SnapshotExists, LibvirtErrors.Map(moment, "vm1", LibvirtCall.Snapshot).ErrorId);
        Assert.Equal(ErrorIds.LibvirtOperationFailed, LibvirtErrors.Map(moment, "vm1", LibvirtCall.Other).ErrorId);
        var raw = new LibvirtError(LibvirtErrorCode.ConfigUnsupported, FromQemu, 2, "unsupported configuration: internal snapshot for disk vdb unsupported for storage type raw");
        var rawMapped = LibvirtErrors.Map(raw, "vm1", LibvirtCall.Snapshot);
        Assert.Equal((ErrorIds.DiskCannotSnapshot, FailureKind.InvalidOperation, "vm1"), (rawMapped.ErrorId, rawMapped.Kind, rawMapped.Target));
        Assert.StartsWith(raw.Message, rawMapped.Message, StringComparison.Ordinal);
        Assert.Contains("qcow2", rawMapped.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.DomainConfigUnsupported, LibvirtErrors.Map(raw, "vm1", LibvirtCall.Other).ErrorId);

        var broken = new LibvirtError(LibvirtErrorCode.SystemError, FromRpc, 2, "Cannot write data: Broken pipe");
        Assert.Equal(ErrorIds.HostConnectionLost, LibvirtErrors.Map(broken, "qemu+ssh://h/system", LibvirtCall.Other).ErrorId);
        Assert.Equal(ErrorIds.HostUnreachable, LibvirtErrors.Map(broken, "qemu+ssh://h/system", LibvirtCall.Open).ErrorId);

        // What a listing on a connection whose far end froze returned after 20 s (keepalive 5 s x 3).
        var silent = new LibvirtError(LibvirtErrorCode.InternalError, FromRpc, 2, "internal error: connection closed due to keepalive timeout");
        Assert.Equal(ErrorIds.HostConnectionLost, LibvirtErrors.Map(silent, "qemu+ssh://h/system", LibvirtCall.Other).ErrorId);

    }

    [Theory]
    [InlineData(LibvirtErrorCode.SystemError, FromStorage, "Cannot access storage file '/tmp/p/d.qcow2' (as uid:64055, gid:64055): Permission denied", ErrorIds.DomainFileAccessDenied)]
    [InlineData(LibvirtErrorCode.InternalError, FromQemu, "internal error: qemu unexpectedly closed the monitor: qemu: could not open kernel file '/tmp/p/vmlinuz': Permission denied", ErrorIds.DomainFileAccessDenied)]
    [InlineData(LibvirtErrorCode.SystemError, FromSecurity, "unable to stat: /nonexistent/vmlinuz: No such file or directory", ErrorIds.DomainFileNotFound)]
    [InlineData(LibvirtErrorCode.SystemError, FromStorage, "Cannot access storage file '/nonexistent/d.qcow2' (as uid:64055, gid:64055): No such file or directory", ErrorIds.DomainFileNotFound)]
    [InlineData(LibvirtErrorCode.SystemError, FromQemu, "Unable to create cgroup: Read-only file system", ErrorIds.LibvirtSystemError)]
    public void Start_failures_over_files_say_which_file_problem_it_is(int code, int domain, string message, string id)
    {
        // The messages are what libvirt 9.0's QEMU driver said on this machine when a domain could not start.
        var mapped = LibvirtErrors.Map(new LibvirtError(code, domain, 2, message), "vm1", LibvirtCall.Other);
        Assert.Equal(id, mapped.ErrorId);
        Assert.StartsWith(message, mapped.Message, StringComparison.Ordinal);
        if (id == ErrorIds.DomainFileAccessDenied)
        {
            Assert.Contains("/var/lib/libvirt/images", mapped.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Cannot recv data: Host key verification failed.: Connection reset by peer", ErrorIds.HostKeyNotTrusted)]
    [InlineData("Cannot recv data: @@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.: Connection reset by peer", ErrorIds.HostKeyNotTrusted)]
    [InlineData("Cannot recv data: nobody@127.0.0.1: Permission denied (publickey).: Connection reset by peer", ErrorIds.HostAuthenticationFailed)]
    [InlineData("Cannot recv data: ssh: Could not resolve hostname no-such-host.invalid: Name or service not known: Connection reset by peer", ErrorIds.HostUnknown)]
    [InlineData("Cannot recv data: ssh: connect to host 127.0.0.1 port 1: Connection refused: Connection reset by peer", ErrorIds.HostUnreachable)]
    public void An_ssh_open_failure_is_told_apart_by_the_phrase_ssh_printed(string message, string id)
    {
        var mapped = LibvirtErrors.Map(new LibvirtError(LibvirtErrorCode.SystemError, FromRpc, 2, message), "qemu+ssh://h/system", LibvirtCall.Open);
        Assert.Equal(id, mapped.ErrorId);
        Assert.StartsWith(message, mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_ssh_login_and_an_untrusted_key_carry_their_remedies()
    {
        var key = LibvirtErrors.Map(new LibvirtError(38, FromRpc, 2, "Host key verification failed."), "u", LibvirtCall.Open);
        Assert.Contains("known_hosts", key.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.PermissionDenied, key.Kind);
        var login = LibvirtErrors.Map(new LibvirtError(38, FromRpc, 2, "u@h: Permission denied (publickey)."), "u", LibvirtCall.Open);
        Assert.Contains("keyfile=", login.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remedy_follows_libvirts_message_as_a_sentence_of_its_own()
    {
        // libvirt's messages end without a full stop ("Connection refused"); the remedy must not run on from them.
        var refused = LibvirtErrors.Map(new LibvirtError(38, FromRpc, 2, "u@h: Permission denied (publickey,password)"), "u", LibvirtCall.Open);
        Assert.Matches(@"^u@h: Permission denied \(publickey,password\)\. \S", refused.Message);
        Assert.Equal("Said. Do this.", HeadlessVmErrors.SaidThen(" Said ", "Do this."));
        Assert.Equal("Said? Do this.", HeadlessVmErrors.SaidThen("Said?", "Do this."));
        Assert.Equal("Do this.", HeadlessVmErrors.SaidThen("  ", "Do this."));
        Assert.Equal("Said.", HeadlessVmErrors.SaidThen("Said", null));
    }

    [Theory]
    [InlineData("internal error: qemu unexpectedly closed the monitor: 2026-11-30T19:56:39.788585Z qemu-system-x86_64: -vnc 127.0.0.1:1,password=on,audiodev=audio1: Failed to find an available port: Address already in use", true)]
    [InlineData("internal error: qemu unexpectedly closed the monitor: qemu-system-x86_64: -cpu bogus: unable to find CPU model 'bogus'", false)]
    [InlineData("internal error: qemu unexpectedly closed the monitor: qemu-system-x86_64: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'", false)]
    public void Only_a_graphics_port_taken_before_qemu_bound_it_makes_a_start_try_again(string message, bool retried)
    {
        // The first message is the one a loaded CI machine got from libvirt 9.0 (issue: autoport raced another program).
        Assert.Equal(retried, LibvirtConnection.IsAutoPortTaken(message));
    }
}
