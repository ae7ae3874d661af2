namespace HeadlessVm.Core.Model;

/// <summary>
/// A VM as the pipeline sees it: its specification joined with its live state and the host it lives on,
/// complete when built (by a backend's inspection) and never changed afterwards. <see cref="ComputerName"/>
/// and <see cref="ConnectionUri"/> bind by property name to every VM cmdlet's -ComputerName and
/// -ConnectionUri, so a piped VM goes back to its own host.
/// </summary>
public sealed class VmInfo
{
    /// <summary>The name of the folder store in <see cref="ComputerName"/>.</summary>
    public const string LocalComputerName = "local";

    /// <summary>A VM of the folder store: HeadlessVm's own, on this machine, VNC on its display's port.</summary>
    internal VmInfo(VmSpec spec, VmState state, int? processId, AcceleratorKind accelerator, string cpu, TimeSpan? uptime, string path, Uri? consoleUrl)
        : this(spec, state, processId, accelerator, cpu, uptime, path, consoleUrl, LocalComputerName, null, ManagedBy.HeadlessVm, spec.VncPort)
    {
    }

    /// <summary>
    /// A VM of any backend: <paramref name="computerName"/> names its host (<see cref="LocalComputerName"/>, a
    /// registered host, or a host name), <paramref name="connectionUri"/> is the libvirt URI it was reached by
    /// (null for the folder store), <paramref name="vncPort"/> its VNC port while known (null for a stopped
    /// libvirt domain whose port libvirt picks at each start), <paramref name="path"/> its folder in the state
    /// store (null for a libvirt domain).
    /// </summary>
    internal VmInfo(VmSpec spec, VmState state, int? processId, AcceleratorKind accelerator, string cpu, TimeSpan? uptime, string? path, Uri? consoleUrl,
        string computerName, string? connectionUri, ManagedBy managedBy, int? vncPort)
    {
        Spec = spec;
        State = state;
        ProcessId = processId;
        Accelerator = accelerator;
        Cpu = cpu;
        Uptime = uptime;
        StatePath = path;
        ConsoleUrl = consoleUrl;
        ComputerName = computerName;
        ConnectionUri = connectionUri;
        ManagedBy = managedBy;
        VncPort = vncPort;
    }

    internal VmSpec Spec { get; }

    public string Name => Spec.Name;
    public VmState State { get; }

    /// <summary>
    /// The host the VM lives on: "local" for the folder store, else the registered host's name (Connect-HeadlessVmHost),
    /// the host named in -ComputerName, or the host part of -ConnectionUri ("localhost" for a URI without one).
    /// </summary>
    public string ComputerName { get; }

    /// <summary>The libvirt URI the VM was reached by; null for the folder store.</summary>
    public string? ConnectionUri { get; }

    /// <summary>HeadlessVm for the VMs it created; External for libvirt domains defined by anything else.</summary>
    public ManagedBy ManagedBy { get; }

    /// <summary>qemu's PID on this machine; null when it is not running or runs on another host.</summary>
    public int? ProcessId { get; }

    public int MemoryMB => Spec.MemoryMB;
    public int ProcessorCount => Spec.ProcessorCount;
    public string Cpu { get; }
    public string Architecture => Spec.Architecture;

    /// <summary>The accelerator in use while running; the requested one otherwise.</summary>
    public AcceleratorKind Accelerator { get; }

    /// <summary>The address VNC listens on, on the VM's host (New-HeadlessVm -ListenAddress, which takes this name as an alias).</summary>
    public string VncAddress => Spec.ListenAddress;

    /// <summary>The VNC display (port - 5900); null while the port is not known.</summary>
    public int? VncDisplay => VncPort is { } port && port >= VmSpec.VncBasePort ? port - VmSpec.VncBasePort : null;

    /// <summary>The VNC TCP port on the VM's host; null for a stopped libvirt domain whose port libvirt chooses when it starts.</summary>
    public int? VncPort { get; }

    /// <summary>
    /// True when the module picked <see cref="VncDisplay"/> (New-HeadlessVm without -VncDisplay, Copy-HeadlessVm, a libvirt
    /// domain with autoport); false when the user chose it. New-HeadlessVm takes it back by name: a picked display that
    /// arrives from a record (an exported lab) is not asked for again, so the new VM gets a free one beside the original.
    /// </summary>
    public bool VncDisplayPicked => Spec.VncDisplayPicked;

    public string? IsoPath => Spec.IsoPath;

    // The list properties are ValueLists, which print as 'a;b': New-HeadlessVm's parameters of the same
    // names take them back, from objects, JSON and CSV alike, so that a VM exported recreates the same VM.

    /// <summary>The disk images (paths on the VM's host), in the order the guest sees them.</summary>
    public ValueList DiskPath => new(Spec.Disks.Select(d => d.Path));

    /// <summary>Each disk's format, as qemu is told it (qcow2, raw, vpc...), in the order of <see cref="DiskPath"/>.</summary>
    public ValueList DiskFormat => new(Spec.Disks.Select(d => d.Format));

    public string? KernelPath => Spec.KernelPath;
    public string? InitrdPath => Spec.InitrdPath;
    public string? KernelArgument => Spec.KernelArgument;

    /// <summary>qemu's boot order letters; null when the module chooses.</summary>
    public string? BootOrder => Spec.BootOrder;

    public NetworkMode Network => Spec.Network;

    /// <summary>Each forward as ADDRESS:HOSTPORT->GUESTPORT (e.g. 127.0.0.1:2222->22), a form -PortForward accepts.</summary>
    public ValueList PortForward => new(Spec.PortForwards.Select(p => p.ToString()));

    public string? MacAddress => Spec.MacAddress;

    /// <summary>
    /// True when the module generated <see cref="MacAddress"/>; false when the user gave it (or the VM has none). New-HeadlessVm
    /// takes it back by name: a generated MAC that arrives from a record is not asked for again, so the new VM gets its own.
    /// </summary>
    public bool MacAddressGenerated => Spec.MacAddressGenerated;

    /// <summary>Arguments passed to qemu as they are.</summary>
    public ValueList ExtraArgument => new(Spec.ExtraArguments);

    /// <summary>When HeadlessVm created the VM; null for an External one (libvirt does not record it).</summary>
    public DateTimeOffset? Created => ManagedBy == ManagedBy.External ? null : Spec.Created;

    /// <summary>How long the VM has run, in whole seconds; null when it is not running or its host does not say.</summary>
    public TimeSpan? Uptime { get; }

    /// <summary>The browser console's URL (with its token and VNC password) while a bridge serves this VM; null otherwise.</summary>
    public Uri? ConsoleUrl { get; }

    /// <summary>
    /// The VM's folder in the state store; null for a libvirt domain. Not "Path": piped to a cmdlet, a property
    /// binds to the parameter of its name, and Save-VmScreenshot's -Path (which takes per-VM values) would get it.
    /// </summary>
    public string? StatePath { get; }

    public override string ToString() => Name;
}
