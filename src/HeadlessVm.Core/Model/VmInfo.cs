namespace HeadlessVm.Core.Model;

/// <summary>
/// A VM as the pipeline sees it: its specification joined with its live state, complete when built
/// (by a backend's inspection) and never changed afterwards.
/// </summary>
public sealed class VmInfo
{
    internal VmInfo(VmSpec spec, VmState state, int? processId, AcceleratorKind accelerator, string cpu, TimeSpan? uptime, string path, Uri? consoleUrl)
    {
        Spec = spec;
        State = state;
        ProcessId = processId;
        Accelerator = accelerator;
        Cpu = cpu;
        Uptime = uptime;
        StatePath = path;
        ConsoleUrl = consoleUrl;
    }

    internal VmSpec Spec { get; }

    public string Name => Spec.Name;
    public VmState State { get; }
    public int? ProcessId { get; }
    public int MemoryMB => Spec.MemoryMB;
    public int ProcessorCount => Spec.ProcessorCount;
    public string Cpu { get; }
    public string Architecture => Spec.Architecture;

    /// <summary>The accelerator in use while running; the requested one otherwise.</summary>
    public AcceleratorKind Accelerator { get; }

    /// <summary>The address qemu's VNC server listens on (New-HeadlessVm -ListenAddress, which takes this name as an alias).</summary>
    public string VncAddress => Spec.ListenAddress;
    public int VncDisplay => Spec.VncDisplay;
    public int VncPort => Spec.VncPort;
    public string? IsoPath => Spec.IsoPath;

    // The list properties are ValueLists, which print as 'a;b': New-HeadlessVm's parameters of the same
    // names take them back, from objects, JSON and CSV alike, so that a VM exported recreates the same VM.

    /// <summary>The disk images, in the order the guest sees them.</summary>
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

    /// <summary>Arguments passed to qemu as they are.</summary>
    public ValueList ExtraArgument => new(Spec.ExtraArguments);
    public DateTimeOffset Created => Spec.Created;

    /// <summary>How long qemu has run, in whole seconds; null when it is not running.</summary>
    public TimeSpan? Uptime { get; }

    /// <summary>The browser console's URL (with its token and VNC password) while a bridge serves this VM; null otherwise.</summary>
    public Uri? ConsoleUrl { get; }

    /// <summary>
    /// The VM's folder in the state store. Not "Path": piped to a cmdlet, a property binds to the parameter
    /// of its name, and Save-VmScreenshot's -Path (which takes per-VM values) would get the VM's folder.
    /// </summary>
    public string StatePath { get; }

    public override string ToString() => Name;
}
