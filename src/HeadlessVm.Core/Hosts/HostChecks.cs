using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// Test-HeadlessVmHost: a preflight of one host, one <see cref="HostCheck"/> per step of <see cref="HostCheck.Checks"/>.
/// Each step needs the ones before it; after a failure the rest are NotRun. Nothing is changed on the host: no
/// domain is defined or touched (so port forwards are checked by what they need, not by adding one), and a console
/// tunnel the check opens is closed again unless a bridge uses it.
/// </summary>
public sealed class HostChecks
{
    private static readonly TimeSpan GreetingWait = TimeSpan.FromSeconds(5);

    private readonly HostService _hosts;
    private readonly IRemoteConsoles _consoles;
    private readonly Func<HostTarget, CancellationToken, IVmBackend> _backendFor;
    private readonly SshTunnels _tunnels;

    /// <param name="consoles">How the host's consoles are reached.</param>
    /// <param name="backendFor">The host's VMs, to find a running VNC server to check the way to.</param>
    /// <param name="tunnels">The ssh tunnels, for a host whose consoles go through ssh.</param>
    public HostChecks(HostService hosts, IRemoteConsoles consoles, Func<HostTarget, CancellationToken, IVmBackend> backendFor, SshTunnels tunnels)
    {
        _hosts = hosts;
        _consoles = consoles;
        _backendFor = backendFor;
        _tunnels = tunnels;
    }

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
            Console(target, Add, cancellationToken);
        }
        catch (HeadlessVmException e)
        {
            // The connection broke half way (the daemon went, keepalive gave up): the step it broke in fails.
            Add(HostCheck.Checks[results.Count], HostCheckStatus.Failed, e.Message, $"Check {target.ComputerName} and its libvirtd, then run Test-HeadlessVmHost again.");
            return Fill(results, target, uri);
        }

        return results;
    }

    /// <summary>The checks that need an open connection: Daemon, Kvm, PortForward (Console follows).</summary>
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
    }

    /// <summary>
    /// Console: websockify and noVNC here, then the way to the host's VNC servers: on this machine as they are; through
    /// ssh, the master up and (when a VM runs there) a forward answering with an RFB greeting; Direct, that greeting
    /// over the network (a Warning: unencrypted); none, Failed with the -ConsoleVia remedy.
    /// </summary>
    private void Console(HostTarget target, Action<string, HostCheckStatus, string, string?> add, CancellationToken cancellationToken)
    {
        try
        {
            CheckConsoleTools(target.ComputerName);
        }
        catch (HeadlessVmException e)
        {
            add("Console", HostCheckStatus.Failed, e.Message, "apt-get install websockify novnc");
            return;
        }

        var host = target.ComputerName;
        var route = _consoles.RouteOf(target);
        switch (route.Kind)
        {
            case ConsoleRouteKind.ThisMachine:
                add("Console", HostCheckStatus.Passed, "VNC of this host's VMs is on this machine's loopback; websockify and noVNC are installed for the browser console.", null);
                return;
            case ConsoleRouteKind.None:
                add("Console", HostCheckStatus.Failed, $"{host} is reached without ssh ({target.ConnectionUri}) and has no -ConsoleVia, so its VMs' screens (on its loopback) cannot be reached from here.",
                    $"Connect-HeadlessVmHost {host} -Uri '{target.ConnectionUri}' -ConsoleVia ssh://USER@{host} -Force, or -ConsoleVia Direct (unencrypted; the VMs' VNC must listen on an address this machine reaches).");
                return;
        }

        var vnc = RunningVnc(target, cancellationToken);
        try
        {
            if (route.Kind == ConsoleRouteKind.Direct)
            {
                Direct(host, vnc, add, cancellationToken);
                return;
            }

            var via = route.Ssh!;
            var (pid, greeting) = _tunnels.Check(target, via, vnc?.Tunnel is { } t ? (vnc.VmName, t.Address, t.Port) : null, cancellationToken);
            var master = $"An ssh master (PID {pid}) logs in to {via.Display} without a prompt ({route.Source})";
            if (vnc is null)
            {
                add("Console", HostCheckStatus.Warning, $"{master}; no VM runs on {host} to check a forward to its VNC server with.",
                    $"Start a VM on {host} and run Test-HeadlessVmHost {host} again to check the whole way.");
            }
            else if (greeting is not null)
            {
                add("Console", HostCheckStatus.Passed, $"{master}; a forward to VM '{vnc.VmName}''s VNC server on {host}'s loopback answered '{greeting}'.", null);
            }
            else
            {
                add("Console", HostCheckStatus.Failed, $"{master}, but a forward to VM '{vnc.VmName}''s VNC server on {host}'s loopback did not answer within {GreetingWait.TotalSeconds:0} s.",
                    $"Let {host}'s sshd forward TCP (AllowTcpForwarding yes in its sshd_config), and check that nothing on {host} blocks its loopback.");
            }
        }
        catch (HeadlessVmException e)
        {
            add("Console", HostCheckStatus.Failed, e.Message, e.ErrorId switch
            {
                ErrorIds.HostKeyNotTrusted => $"Check {host}'s ssh host key and add it to known_hosts (ssh {route.Ssh?.Display ?? host} true, once, in a terminal).",
                ErrorIds.HostAuthenticationFailed => $"Let ssh log in to {route.Ssh?.Display ?? host} without a prompt: a key in ssh-agent, or keyfile= in {route.Source}.",
                _ => $"Check that ssh {route.Ssh?.Display ?? host} works from this machine without a prompt.",
            });
        }
    }

    /// <summary>
    /// What a browser console needs on this machine whichever host the VM runs on: websockify on PATH and noVNC's web
    /// root with every file its page loads. Returns the web root; WebsockifyNotInstalled, NoVncNotInstalled or
    /// InvalidWebRoot (target <paramref name="computerName"/>) otherwise.
    /// </summary>
    public static string CheckConsoleTools(string computerName) =>
        ConsoleSettings.Check(computerName, new BridgeRequest(null, null, null, null, "127.0.0.1", null, null, null)).WebRoot;

    private static void Direct(string host, RunningConsole? vnc, Action<string, HostCheckStatus, string, string?> add, CancellationToken cancellationToken)
    {
        const string unencrypted = "VNC crosses the network unencrypted (-ConsoleVia Direct).";
        if (vnc is null)
        {
            add("Console", HostCheckStatus.Warning, $"No VM runs on {host} to check its VNC server with. {unencrypted}",
                $"Start a VM on {host} (listening on an address this machine reaches) and run Test-HeadlessVmHost {host} again, or use -ConsoleVia ssh://USER@{host}.");
            return;
        }

        var endpoint = vnc.Endpoint;
        System.Net.IPAddress? address;
        try
        {
            address = System.Net.IPAddress.TryParse(endpoint.Address, out var ip) ? ip : System.Net.Dns.GetHostAddresses(endpoint.Address).FirstOrDefault();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            add("Console", HostCheckStatus.Failed, $"{endpoint.Address}, where VM '{vnc.VmName}''s VNC server is, cannot be resolved here: {e.Message}",
                $"Make {endpoint.Address} resolvable from this machine, or use -ConsoleVia ssh://USER@{host}.");
            return;
        }

        var greeting = address is null ? null : RfbGreeting.Read(new System.Net.IPEndPoint(address, endpoint.Port), GreetingWait, cancellationToken);
        add("Console", greeting is null ? HostCheckStatus.Failed : HostCheckStatus.Warning,
            greeting is null ? $"VM '{vnc.VmName}''s VNC server at {endpoint.Display} did not answer from here." : $"VM '{vnc.VmName}''s VNC server at {endpoint.Display} answered '{greeting}'. {unencrypted}",
            greeting is null ? $"Check that {endpoint.Display} is reachable from this machine (firewall, the VM's listen address)." : $"Use -ConsoleVia ssh://USER@{host} to keep VNC off the network.");
    }

    /// <summary>A running VM's VNC server on the host, as this machine reaches it (the first one found); null when none runs or none can be reached.</summary>
    private RunningConsole? RunningVnc(HostTarget target, CancellationToken cancellationToken)
    {
        var vms = _backendFor(target, cancellationToken);
        foreach (var name in vms.Names())
        {
            try
            {
                if (vms.FindConsoleEndpoint(name) is { } endpoint)
                {
                    return new RunningConsole(name, endpoint);
                }
            }
            catch (HeadlessVmException)
            {
                // A VM without VNC, or one Direct cannot reach: try the next.
            }
        }

        return null;
    }

    private sealed record RunningConsole(string VmName, ConsoleEndpoint Endpoint)
    {
        public TunnelTarget? Tunnel => Endpoint.Tunnel;
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
                    : ReachRemedy(host, target.ConnectionUri));
        }
        else
        {
            add("Reachable", HostCheckStatus.Passed, $"{host} answers.", null);
            add("Authenticated", HostCheckStatus.Passed, "Logged in without a prompt.", null);
            add("Daemon", HostCheckStatus.Failed, e.Message, $"See libvirtd's log on {host}.");
        }
    }

    /// <summary>
    /// What to check when a remote host does not answer, by the URI's transport (libvirt docs/remote.rst: tcp listens on
    /// 16509, tls on 16514 and is the default of a remote URI without a transport; ssh, libssh and libssh2 go through sshd).
    /// </summary>
    private static string ReachRemedy(string host, string? uri)
    {
        var transport = uri is null ? "ssh" : LibvirtUri.Transport(uri) ?? "tls";
        return transport switch
        {
            "tcp" => $"Check that {host} is up and its libvirtd listens on TCP (listen_tcp = 1 in libvirtd.conf, or virtproxyd-tcp.socket; port 16509 unless the URI names one), and that nothing between blocks it.",
            "tls" => $"Check that {host} is up and its libvirtd listens for TLS (listen_tls = 1 in libvirtd.conf, or virtproxyd-tls.socket; port 16514 unless the URI names one), and that nothing between blocks it.",
            _ => $"Check that {host} is up and its sshd listens, and that nothing between blocks it (ssh {host} true).",
        };
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
