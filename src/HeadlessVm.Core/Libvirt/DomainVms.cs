using System.Globalization;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// A libvirt domain as a <see cref="VmInfo"/>: its parsed XML (the definition, with the live VNC port while it
/// runs) joined with its state. Pure, so tests build VmInfos from golden XML.
/// </summary>
public static class DomainVms
{
    /// <summary>
    /// The VM for domain <paramref name="domain"/> on <paramref name="location"/>: state from
    /// <paramref name="status"/>, PID and uptime when known (local hosts only), and its console URL while a
    /// bridge serves it.
    /// </summary>
    public static VmInfo ToVmInfo(DomainDefinition domain, LibvirtDomainStatus status, HostTarget location, int? processId, TimeSpan? uptime, Uri? consoleUrl)
    {
        var spec = ToSpec(domain);
        var state = ToState(status.State);
        return new VmInfo(spec, state, processId, spec.Accelerator, CpuName(domain), state is VmState.Stopped ? null : uptime, null, consoleUrl,
            location.ComputerName, location.ConnectionUri, domain.ManagedBy, domain.Vnc?.Port);
    }

    /// <summary>
    /// The facts of a domain in the shape of the folder store's record: architecture, memory (MiB), vCPUs,
    /// accelerator (domain type kvm, else TCG), the first CD-ROM but the cloud-init seed as the ISO, the disks, kernel boot, boot order
    /// (libvirt's boot devices as qemu's letters), VNC listen address and whether libvirt picks the port (autoport),
    /// network, forwards and cloud-init data (HeadlessVm's metadata), MAC (and whether HeadlessVm generated it) and creation time. Paths are the host's.
    /// </summary>
    public static VmSpec ToSpec(DomainDefinition domain)
    {
        var firstInterface = domain.Interfaces.FirstOrDefault();
        return new VmSpec
        {
            Name = domain.Name,
            Architecture = domain.Os.Architecture ?? "x86_64",
            MemoryMB = (int)Math.Min(int.MaxValue, domain.MemoryKiB / 1024),
            ProcessorCount = domain.VirtualCpus,
            Cpu = domain.Cpu.Model,
            Accelerator = domain.Type == "kvm" ? AcceleratorKind.Kvm : AcceleratorKind.Tcg,
            // The cloud-init seed is a CD-ROM too, but HeadlessVm's own: it is CloudInit, not the ISO.
            IsoPath = domain.Disks.FirstOrDefault(d => d.Device == "cdrom" && d.Source is not null && d.Source != domain.Metadata?.CloudInitSeed)?.Source,
            Disks = domain.Disks.Where(d => d.Device == "disk" && d.Source is not null).Select(d => new DiskSpec(d.Source!, d.Format ?? "raw")).ToArray(),
            KernelPath = domain.Os.Kernel,
            InitrdPath = domain.Os.Initrd,
            KernelArgument = domain.Os.KernelArguments,
            BootOrder = BootLetters(domain.Os.BootDevices),
            ListenAddress = domain.Vnc?.ListenAddress ?? domain.Vnc?.ListenSocket ?? string.Empty,
            Network = firstInterface is null ? NetworkMode.None : firstInterface.Type == "user" ? NetworkMode.User : NetworkMode.Other,
            PortForwards = domain.Metadata?.PortForwards ?? Array.Empty<PortForward>(),
            MacAddress = firstInterface?.MacAddress,
            MacAddressGenerated = domain.Metadata?.MacAddressGenerated ?? false,
            // libvirt's autoport: libvirt picks the port at each start, so a recreated VM gets its own.
            VncDisplayPicked = domain.Vnc?.AutoPort ?? false,
            Created = domain.Metadata?.Created ?? default,
            CloudInit = domain.Metadata?.CloudInit,
        };
    }

    /// <summary>virDomainState as a <see cref="VmState"/>: blocked and shutting down still run; PM-suspended is paused.</summary>
    public static VmState ToState(LibvirtDomainState state) => state switch
    {
        LibvirtDomainState.Running or LibvirtDomainState.Blocked or LibvirtDomainState.ShuttingDown => VmState.Running,
        LibvirtDomainState.Paused or LibvirtDomainState.PMSuspended => VmState.Paused,
        LibvirtDomainState.Shutoff => VmState.Stopped,
        LibvirtDomainState.Crashed => VmState.Crashed,
        _ => VmState.Other,
    };

    /// <summary>The CPU as the folder store names it: host (host-passthrough), max (maximum), a model, or libvirt's mode.</summary>
    private static string CpuName(DomainDefinition domain) => domain.Cpu switch
    {
        { Mode: "host-passthrough" } => "host",
        { Mode: "maximum" } => "max",
        { Model: { } model } => model,
        { Mode: { } mode } => mode,
        _ => "(default)",
    };

    private static string? BootLetters(IReadOnlyList<string> devices)
    {
        var letters = string.Concat(devices.Select(d => d switch
        {
            "hd" => "c",
            "cdrom" => "d",
            "network" => "n",
            "fd" => "a",
            _ => string.Empty,
        }));
        return letters.Length == 0 ? null : letters;
    }

    /// <summary>The serial log file the domain's first serial port writes, or null.</summary>
    public static string? SerialLogFile(DomainDefinition domain) =>
        domain.Serials.Select(s => s.LogFile).Concat(domain.Consoles.Select(c => c.LogFile)).FirstOrDefault(f => !string.IsNullOrEmpty(f));

    /// <summary>
    /// Where HeadlessVm asks libvirt to log a new domain's serial console, on the target host: beside the domain's own
    /// log in /var/log/libvirt/qemu for a qemu:///system daemon (virtlogd, root, writes it); null for other URIs
    /// (a session daemon cannot write there), whose output is read from the console stream.
    /// </summary>
    public static string? SerialLogPathFor(string connectionUri, string name)
    {
        var path = connectionUri.Split('?')[0];
        return path.StartsWith("qemu", StringComparison.Ordinal) && path.EndsWith("/system", StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"/var/log/libvirt/qemu/{name}-serial.log")
            : null;
    }
}
