using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// Test-HeadlessVmHost: a preflight of one host, one <see cref="HostCheck"/> per step of <see cref="HostCheck.Checks"/>.
/// Each step needs the ones before it; after a failure the rest are NotRun. Nothing is changed on the host: no
/// domain is defined or touched (so port forwards are checked by what they need, not by adding one).
/// </summary>
public sealed class HostChecks
{
    private readonly HostService _hosts;

    public HostChecks(HostService hosts) => _hosts = hosts;

    /// <summary>Every check of <paramref name="target"/>, in order.</summary>
    public IReadOnlyList<HostCheck> Run(HostTarget target, CancellationToken cancellationToken)
    {
        var results = new List<HostCheck>();
        var uri = target.ConnectionUri!;
        void Add(string check, HostCheckStatus status, string detail, string? remedy = null) =>
            results.Add(new HostCheck(target.ComputerName, uri, check, status, detail, remedy));

        LibvirtConnection? connection = null;
        try
        {
            LibvirtEventLoop.EnsureStarted();
            Add("Client", HostCheckStatus.Passed, "libvirt's client library is loaded on this machine.");
            connection = _hosts.Open(target, cancellationToken);
            Add("Reachable", HostCheckStatus.Passed, target.IsThisMachine ? "libvirtd answers on this machine." : $"{target.ComputerName} answers ({LibvirtUri.Transport(uri) ?? "local"} transport).");
            Add("Authenticated", HostCheckStatus.Passed, target.IsThisMachine ? "The local socket lets this user in." : "Logged in without a prompt.");
        }
        catch (HeadlessVmException e)
        {
            OpenFailed(target, e, results.Count, Add);
        }

        if (connection is null)
        {
            return Fill(results, target, uri);
        }

        try
        {
            Connected(target, connection, Add);
        }
        catch (HeadlessVmException e)
        {
            // The connection broke half way (the daemon went, keepalive gave up): the step it broke in fails.
            Add(HostCheck.Checks[results.Count], HostCheckStatus.Failed, e.Message, $"Check {target.ComputerName} and its libvirtd, then run Test-HeadlessVmHost again.");
            return Fill(results, target, uri);
        }

        return results;
    }

    /// <summary>The checks that need an open connection: Daemon, Kvm, PortForward, Console.</summary>
    private static void Connected(HostTarget target, LibvirtConnection connection, Action<string, HostCheckStatus, string, string?> add)
    {
        var facts = connection.GetHostInfo();
        var qemu = string.Equals(facts.HypervisorType, "QEMU", StringComparison.OrdinalIgnoreCase);
        add("Daemon", qemu ? HostCheckStatus.Passed : HostCheckStatus.Warning,
            $"libvirt {facts.DaemonLibraryVersion} ({facts.HypervisorType} {facts.HypervisorVersion}) on {facts.HostName}; this machine has libvirt {facts.ClientLibraryVersion}.",
            qemu ? null : $"HeadlessVm creates QEMU domains; the {facts.HypervisorType} driver lists and powers them but has no QEMU monitor, console log or forwards.");

        bool kvm;
        try
        {
            kvm = connection.SupportsVirtualizationType("kvm");
        }
        catch (HeadlessVmException e) when (e.ErrorId == ErrorIds.LibvirtNotSupported)
        {
            kvm = false;
        }

        add("Kvm", kvm ? HostCheckStatus.Passed : HostCheckStatus.Warning,
            kvm ? "KVM is offered: new VMs use it (domain type kvm)." : "No KVM: new VMs run under TCG software emulation, many times slower.",
            kvm ? null : $"Enable virtualization in {target.ComputerName}'s firmware, load kvm_intel or kvm_amd, and check /dev/kvm there.");

        try
        {
            Libvirt.Native.LibvirtLibrary.EnsureQemuLoaded();
            add("PortForward", qemu ? HostCheckStatus.Passed : HostCheckStatus.Unsupported,
                qemu
                    ? "Forwards are added after each start with hostfwd_add through the QEMU monitor (libvirt marks such domains tainted)."
                    : $"The {facts.HypervisorType} driver has no QEMU monitor.",
                qemu ? null : "Create VMs without -PortForward on this host.");
        }
        catch (HeadlessVmException e)
        {
            add("PortForward", HostCheckStatus.Failed, e.Message, "Install libvirt0 (it holds libvirt-qemu.so.0) on this machine.");
        }

        Console(target, add);
    }

    private static void Console(HostTarget target, Action<string, HostCheckStatus, string, string?> add)
    {
        if (!target.IsThisMachine)
        {
            add("Console", HostCheckStatus.Unsupported,
                $"The screens of {target.ComputerName}'s VMs are served on its own loopback; HeadlessVm does not yet tunnel them here over ssh, so Start-VncBridge refuses them (ConsoleNeedsTunnel).",
                $"Open a console with 'virt-viewer --connect {target.ConnectionUri} VM', or forward its VNC port with 'ssh -L PORT:127.0.0.1:VNCPORT {target.ComputerName}' and run Start-VncBridge -Target 127.0.0.1:PORT.");
            return;
        }

        try
        {
            ConsoleSettings.Check(target.ComputerName, new BridgeRequest(null, null, null, null, "127.0.0.1", null, null, null));
            add("Console", HostCheckStatus.Passed, "VNC of this host's VMs is on this machine's loopback; websockify and noVNC are installed for the browser console.", null);
        }
        catch (HeadlessVmException e)
        {
            add("Console", HostCheckStatus.Failed, e.Message, "apt-get install websockify novnc");
        }
    }

    /// <summary>Which of Client, Reachable, Authenticated, Daemon a failed open stops at, from its id and libvirt's message.</summary>
    private static void OpenFailed(HostTarget target, HeadlessVmException e, int passed, Action<string, HostCheckStatus, string, string?> add)
    {
        var host = target.ComputerName;
        if (e.ErrorId == ErrorIds.LibvirtNotInstalled)
        {
            add("Client", HostCheckStatus.Failed, e.Message, "apt-get install libvirt0");
            return;
        }

        if (passed == 0)
        {
            add("Client", HostCheckStatus.Passed, "libvirt's client library is loaded on this machine.", null);
        }

        // Over ssh, a host whose sshd let us in but has no libvirtd fails in virt-ssh-helper (or nc) on its socket.
        var daemonMissing = !target.IsThisMachine && e.Message.Contains("libvirt-sock", StringComparison.Ordinal);
        if (e.ErrorId is ErrorIds.HostAuthenticationFailed or ErrorIds.HostKeyNotTrusted)
        {
            add("Reachable", HostCheckStatus.Passed, $"{host} answers.", null);
            add("Authenticated", HostCheckStatus.Failed, e.Message,
                e.ErrorId == ErrorIds.HostKeyNotTrusted
                    ? $"Check {host}'s ssh host key and add it to known_hosts (ssh {host} true, once, in a terminal)."
                    : $"Let ssh log in to {host} without a prompt: a key in ssh-agent, or keyfile= in the URI, and the public key in the host's authorized_keys.");
        }
        else if (daemonMissing)
        {
            add("Reachable", HostCheckStatus.Passed, $"{host} answers.", null);
            add("Authenticated", HostCheckStatus.Passed, "Logged in without a prompt.", null);
            add("Daemon", HostCheckStatus.Failed, e.Message, $"Start libvirtd on {host} (systemctl start libvirtd).");
        }
        else if (e.ErrorId is ErrorIds.HostUnreachable or ErrorIds.HostUnknown or ErrorIds.HostTimeout)
        {
            add("Reachable", HostCheckStatus.Failed, e.Message, target.IsThisMachine
                ? "Start libvirtd on this machine (systemctl start libvirtd, or virtlogd -d and libvirtd -d)."
                : e.ErrorId == ErrorIds.HostUnknown
                    ? $"Check the name '{host}' (DNS, /etc/hosts, ~/.ssh/config), or register the host with its address."
                    : $"Check that {host} is up and its sshd listens, and that nothing between blocks it (ssh {host} true).");
        }
        else
        {
            add("Reachable", HostCheckStatus.Passed, $"{host} answers.", null);
            add("Authenticated", HostCheckStatus.Passed, "Logged in without a prompt.", null);
            add("Daemon", HostCheckStatus.Failed, e.Message, $"See libvirtd's log on {host}.");
        }
    }

    /// <summary>The checks not reached, as NotRun.</summary>
    private static IReadOnlyList<HostCheck> Fill(List<HostCheck> results, HostTarget target, string uri)
    {
        foreach (var check in HostCheck.Checks.Skip(results.Count))
        {
            results.Add(new HostCheck(target.ComputerName, uri, check, HostCheckStatus.NotRun, "Not checked: an earlier check failed.", null));
        }

        return results;
    }
}
