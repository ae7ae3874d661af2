using System.Management.Automation;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Creates a VM's record and starts it (unless -NoStart), in the folder store or, with -ComputerName or
/// -ConnectionUri, as a libvirt domain on that one host. Every parameter binds by property name. The values are
/// checked by the core (VmDraftValidator), the same for every backend, not by attributes here. Paths are resolved
/// against the current location only for a host on this machine; another host's paths are its own.
/// </summary>
[Cmdlet(VerbsCommon.New, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VmInfo))]
public sealed class NewHeadlessVmCommand : VmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int MemoryMB { get; set; } = 1024;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int ProcessorCount { get; set; } = 1;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CpuModelCompleter))]
    public string? Cpu { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string Architecture { get; set; } = VmDraftValidator.DefaultArchitecture;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? IsoPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? DiskPath { get; set; }

    /// <summary>The format of each disk (one for all, or one per -DiskPath); needed when the extension does not say.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DiskFormatCompleter))]
    public string[]? DiskFormat { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? KernelPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? InitrdPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? KernelArgument { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BootOrder { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? VncDisplay { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string ListenAddress { get; set; } = "127.0.0.1";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public AcceleratorKind Accelerator { get; set; } = AcceleratorKind.Auto;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public NetworkMode Network { get; set; } = NetworkMode.User;

    /// <summary>Host port to guest port over TCP, e.g. '2222:22'; 'ADDRESS:HOST:GUEST' to listen elsewhere than 127.0.0.1.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? PortForward { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? MacAddress { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ExtraArgument { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter NoStart { get; set; }

    /// <summary>Start qemu with the guest's CPUs stopped (qemu -S); Resume-HeadlessVm runs them.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Paused { get; set; }

    protected override void ProcessRecord()
    {
        Try(Name, () =>
        {
            if (NoStart && Paused)
            {
                throw HeadlessVmErrors.NoStartWithPaused(Name);
            }

            var targets = Context.Targets.Resolve(ComputerName, ConnectionUri);
            if (targets.Count != 1)
            {
                throw HeadlessVmErrors.SingleHostRequired(Name, string.Join(", ", targets.Select(t => t.ComputerName)));
            }

            var host = targets[0];
            var draft = VmDraftValidator.ToSpec(Draft(host.IsThisMachine));
            var action = NoStart ? "Create VM record" : $"Create and start VM{(Paused ? " paused" : string.Empty)} ({draft.MemoryMB} MB, {draft.ProcessorCount} CPU, {draft.Architecture})";
            if (!ShouldProcess(Describe(new VmOnHost(host, Name)), action))
            {
                return;
            }

            WriteObject(Backend(host).Create(draft, VncDisplay, start: !NoStart, Paused, CancellationToken));
        });
    }

    /// <summary>The parameters as given, with paths resolved against the current location when the host is this machine.</summary>
    private VmDraft Draft(bool resolvePaths)
    {
        string? Resolve(string? path) => resolvePaths ? ResolvePath(path) : string.IsNullOrWhiteSpace(path) ? null : path;
        return new()
        {
            Name = Name,
            MemoryMB = MemoryMB,
            ProcessorCount = ProcessorCount,
            Cpu = Cpu,
            Architecture = Architecture,
            Accelerator = Accelerator,
            IsoPath = Resolve(IsoPath),
            DiskPaths = (DiskPath ?? Array.Empty<string>()).Select(Resolve).OfType<string>().ToArray(),
            DiskFormats = DiskFormat ?? Array.Empty<string>(),
            KernelPath = Resolve(KernelPath),
            InitrdPath = Resolve(InitrdPath),
            KernelArgument = KernelArgument,
            BootOrder = BootOrder,
            ListenAddress = ListenAddress,
            Network = Network,
            PortForwards = PortForward ?? Array.Empty<string>(),
            MacAddress = MacAddress,
            ExtraArguments = ExtraArgument ?? Array.Empty<string>(),
        };
    }
}
