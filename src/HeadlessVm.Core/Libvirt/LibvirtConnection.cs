using HeadlessVm.Core.Errors;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using HeadlessVm.Core.Libvirt.Native;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// One open libvirt connection, with typed methods that take domain names and return records; no pointer
/// leaves this class. Every failure is a <see cref="LibvirtException"/> carrying libvirt's error.
/// <para>
/// Threads: every method may be called from any thread, concurrently ("libvirt is thread safe as of version
/// 0.6.0: multiple threads can act on a single virConnect instance", libvirt FAQ); libvirt keeps errors per
/// thread and each method reads its error on its own thread. <see cref="Dispose"/> may race calls in flight:
/// the handle is reference-counted, so libvirt's connection closes after the last of them returns.
/// </para>
/// </summary>
public sealed partial class LibvirtConnection : IDisposable
{
    /// <summary>The keepalive set on remote connections: a probe every 5 s, dead after 3 unanswered (15-20 s).</summary>
    public const int KeepAliveIntervalSeconds = 5;

    /// <summary>See <see cref="KeepAliveIntervalSeconds"/>.</summary>
    public const uint KeepAliveCount = 3;

    private readonly ConnectHandle _handle;
    private readonly object _gate = new();
    private readonly List<DomainLifecycleSubscription> _subscriptions = new();

    private LibvirtConnection(string uri, ConnectHandle handle, bool keepAlive)
    {
        Uri = uri;
        _handle = handle;
        KeepAlive = keepAlive;
    }

    /// <summary>The URI as opened (the target of errors about the host).</summary>
    public string Uri { get; }

    /// <summary>True when keepalive probes run on this connection (remote URIs whose daemon supports them).</summary>
    public bool KeepAlive { get; }

    /// <summary>
    /// Opens <paramref name="uri"/> with <c>virConnectOpenAuth</c> and an auth callback that answers no
    /// credential, so libvirt fails rather than prompting; pass ssh URIs through
    /// <see cref="LibvirtUri.WithoutPrompts"/> so that ssh itself does not prompt either. Starts the event loop
    /// first (it must exist before the first open) and sets keepalive on remote URIs
    /// (virConnectSetKeepAlive(5, 3)). Throws <see cref="LibvirtException"/>: <c>LibvirtNotInstalled</c>,
    /// <c>HostUnreachable</c>, <c>HostUnknown</c>, <c>HostAuthenticationFailed</c>, <c>HostKeyNotTrusted</c>,
    /// or another id from <see cref="LibvirtErrors"/>, with the URI as target. It blocks until libvirt returns:
    /// over ssh an unreachable host takes as long as ssh's connect timeout (ConnectTimeout, else TCP's, about two
    /// minutes), so callers that must answer sooner run it on a task and stop waiting.
    /// </summary>
    public static unsafe LibvirtConnection Open(string uri, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        try
        {
            LibvirtEventLoop.EnsureStarted();
        }
        catch (LibvirtException e) when (e.ErrorId == ErrorIds.LibvirtNotInstalled)
        {
            // The host is what the caller asked for; the message still names the library and its package.
            throw new LibvirtException(e.ErrorId, e.Kind, uri, e.Message, e.Error, e);
        }

        // The credential types listed are the ones libvirt could ask for; the callback refuses them all.
        var types = stackalloc int[]
        {
            ConnectApi.Credential.AuthName, ConnectApi.Credential.Passphrase, ConnectApi.Credential.EchoPrompt,
            ConnectApi.Credential.NoEchoPrompt, ConnectApi.Credential.External,
        };
        var auth = new ConnectApi.VirConnectAuth
        {
            CredentialTypes = types,
            CredentialTypeCount = 5,
            Callback = &RefuseCredentials,
            CallbackData = IntPtr.Zero,
        };

        // virConnectFlags: VIR_CONNECT_RO = 1.
        var handle = ConnectApi.virConnectOpenAuth(uri, &auth, readOnly ? 1u : 0u);
        if (handle.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(uri, LibvirtCall.Open);
            handle.Dispose();
            throw error;
        }

        try
        {
            return new LibvirtConnection(uri, handle, LibvirtUri.IsRemote(uri) && EnableKeepAlive(handle, uri));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>False once libvirt has noticed the connection is gone (virConnectIsAlive; no RPC).</summary>
    public bool IsAlive => ConnectApi.virConnectIsAlive(_handle) == 1;

    /// <summary>Versions, driver and host name of the far side (four local calls and one RPC each for URI and host name).</summary>
    public LibvirtHostInfo GetHostInfo()
    {
        Check(ConnectApi.virGetVersion(out var client, IntPtr.Zero, IntPtr.Zero), Uri);
        Check(ConnectApi.virConnectGetLibVersion(_handle, out var daemon), Uri);
        var type = NativeStrings.Borrow(ConnectApi.virConnectGetType(_handle)) ?? throw LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);

        // A driver with no hypervisor version reports 0 rather than failing (libvirt-host.c, virConnectGetVersion).
        var hypervisor = ConnectApi.virConnectGetVersion(_handle, out var hv) == 0 ? hv.Value : 0;
        ErrorApi.Reset();
        var canonical = NativeStrings.Take(ConnectApi.virConnectGetURI(_handle)) ?? throw LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);
        var host = NativeStrings.Take(ConnectApi.virConnectGetHostname(_handle)) ?? throw LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);
        return new LibvirtHostInfo(
            LibvirtHostInfo.Decode(client.Value), LibvirtHostInfo.Decode(daemon.Value), type,
            LibvirtHostInfo.Decode(hypervisor), canonical, host);
    }

    /// <summary>
    /// The domain capabilities XML (docs/formatdomaincaps.rst) for an emulator binary, architecture, machine and
    /// virtualization type ("kvm", "qemu"); null arguments let libvirt choose. Throws <c>LibvirtNotSupported</c>
    /// on drivers without the call (the test driver), <c>DomainConfigUnsupported</c> or
    /// <c>LibvirtInvalidArgument</c> when the combination is not available.
    /// </summary>
    public string GetDomainCapabilities(string? emulator = null, string? architecture = null, string? machine = null, string? virtualizationType = null)
    {
        var xml = ConnectApi.virConnectGetDomainCapabilities(_handle, emulator, architecture, machine, virtualizationType, 0);
        return NativeStrings.Take(xml) ?? throw LibvirtErrors.FromLastError(Uri, LibvirtCall.Other);
    }

    /// <summary>
    /// True when the host offers <paramref name="virtualizationType"/> ("kvm") for <paramref name="architecture"/>:
    /// the domain capabilities for that type exist and report it (<c>&lt;domain&gt;kvm&lt;/domain&gt;</c>).
    /// libvirt answers a type it cannot run with VIR_ERR_CONFIG_UNSUPPORTED or VIR_ERR_INVALID_ARG, which is
    /// false here; any other failure (the connection, an unsupported driver) is thrown.
    /// </summary>
    public bool SupportsVirtualizationType(string virtualizationType, string architecture = "x86_64")
    {
        try
        {
            var caps = XDocument.Parse(GetDomainCapabilities(architecture: architecture, virtualizationType: virtualizationType));
            return string.Equals(caps.Root?.Element("domain")?.Value, virtualizationType, StringComparison.Ordinal);
        }
        catch (LibvirtException e) when (e.ErrorId is ErrorIds.DomainConfigUnsupported or ErrorIds.LibvirtInvalidArgument)
        {
            return false;
        }
    }

    /// <summary>
    /// Lifecycle events of every domain on this connection, queued for the caller (see
    /// <see cref="DomainLifecycleSubscription"/>). Dispose the subscription when done; <see cref="Dispose"/>
    /// deregisters any still open.
    /// </summary>
    public DomainLifecycleSubscription SubscribeLifecycle()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            var subscription = DomainLifecycleSubscription.Register(this, _handle);
            _subscriptions.Add(subscription);
            return subscription;
        }
    }

    /// <summary>Deregisters every lifecycle callback, then closes the connection (virConnectClose).</summary>
    public void Dispose()
    {
        DomainLifecycleSubscription[] open;
        lock (_gate)
        {
            open = _subscriptions.ToArray();
        }

        // Callbacks first: a closed connection's callbacks were seen to keep firing (design/hosts.md).
        foreach (var subscription in open)
        {
            subscription.Dispose();
        }

        _handle.Dispose();
    }

    internal void Deregister(DomainLifecycleSubscription subscription, int callbackId)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
            if (_handle.IsClosed)
            {
                return;
            }

            // A failure here (a connection already broken) leaves nothing to undo: libvirt drops the
            // callbacks of a connection when it closes.
            if (EventApi.virConnectDomainEventDeregisterAny(_handle, callbackId) < 0)
            {
                ErrorApi.Reset();
            }
        }
    }

    private static bool EnableKeepAlive(ConnectHandle handle, string uri)
    {
        // 0 on success, 1 when the daemon does not support keepalive, -1 on error (libvirt-host.c).
        var result = ConnectApi.virConnectSetKeepAlive(handle, KeepAliveIntervalSeconds, KeepAliveCount);
        if (result < 0)
        {
            throw LibvirtErrors.FromLastError(uri, LibvirtCall.Open);
        }

        return result == 0;
    }

    /// <summary>The auth callback: fills nothing and fails, so libvirt reports an authentication error instead of prompting.</summary>
    [UnmanagedCallersOnly]
    private static int RefuseCredentials(IntPtr credentials, uint count, IntPtr data) => -1;

    private DomainHandle Lookup(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var domain = DomainApi.virDomainLookupByName(_handle, name);
        if (domain.IsInvalid)
        {
            var error = LibvirtErrors.FromLastError(name, LibvirtCall.Other);
            domain.Dispose();
            throw error;
        }

        return domain;
    }

    private static void Check(int result, string? target, LibvirtCall call = LibvirtCall.Other)
    {
        if (result < 0)
        {
            throw LibvirtErrors.FromLastError(target, call);
        }
    }
}
