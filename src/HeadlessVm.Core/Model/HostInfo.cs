namespace HeadlessVm.Core.Model;

/// <summary>
/// A host as Connect-, Get- and Disconnect-HeadlessVmHost report it: its name and libvirt URI (both bind by property
/// name to every VM cmdlet, so <c>Get-HeadlessVmHost h1 | Get-HeadlessVm</c> lists h1's VMs), whether it is registered,
/// whether this process holds an open connection to it, and what that connection said about it. Built once.
/// </summary>
public sealed class HostInfo
{
    internal HostInfo(string computerName, string connectionUri, bool registered, bool connected, DateTimeOffset? created, string? consoleVia,
        string? hostName, Version? libvirtVersion, string? hypervisor)
    {
        ConsoleVia = consoleVia;
        ComputerName = computerName;
        ConnectionUri = connectionUri;
        Registered = registered;
        Connected = connected;
        Created = created;
        HostName = hostName;
        LibvirtVersion = libvirtVersion;
        Hypervisor = hypervisor;
    }

    /// <summary>The name the host is registered (or was named) under: what -ComputerName takes.</summary>
    public string ComputerName { get; }

    /// <summary>The libvirt URI it stands for (ssh URIs with no_tty=1, so nothing prompts).</summary>
    public string ConnectionUri { get; }

    /// <summary>True when hosts.json has it (Connect-HeadlessVmHost).</summary>
    public bool Registered { get; }

    /// <summary>True while this PowerShell process holds an open libvirt connection to it.</summary>
    public bool Connected { get; }

    /// <summary>When it was registered; null when it is not.</summary>
    public DateTimeOffset? Created { get; }

    /// <summary>
    /// How its VMs' consoles are reached when not as its URI says (Connect-HeadlessVmHost -ConsoleVia): "Direct", or the
    /// ssh:// endpoint tunnels go through; null when the URI says it (an ssh URI's own ssh, or this machine).
    /// </summary>
    public string? ConsoleVia { get; }

    /// <summary>The host's own name, as its libvirt daemon says (virConnectGetHostname); null unless connected.</summary>
    public string? HostName { get; }

    /// <summary>The libvirt version of the host's daemon (virConnectGetLibVersion); null unless connected.</summary>
    public Version? LibvirtVersion { get; }

    /// <summary>The hypervisor driver and its version, such as "QEMU 7.2.0"; null unless connected.</summary>
    public string? Hypervisor { get; }

    public override string ToString() => ComputerName;
}
