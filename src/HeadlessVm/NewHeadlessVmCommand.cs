using System.Management.Automation;
using System.Net;
using HeadlessVm.Core;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;
using VmObject = HeadlessVm.Core.Model.HeadlessVm;

namespace HeadlessVm.Commands;

/// <summary>Creates a VM's record and starts it (unless -NoStart). Every parameter binds by property name.</summary>
[Cmdlet(VerbsCommon.New, "HeadlessVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VmObject))]
public sealed class NewHeadlessVmCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(16, 16 * 1024 * 1024)]
    public int MemoryMB { get; set; } = 1024;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 1024)]
    public int ProcessorCount { get; set; } = 1;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CpuModelCompleter))]
    public string? Cpu { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string Architecture { get; set; } = "x86_64";

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
                throw new HeadlessVmException("NoStartWithPaused", FailureKind.InvalidArgument, Name,
                    "-NoStart creates the VM without starting it, so it cannot also start -Paused. Use one of them.");
            }

            var draft = BuildDraft();
            var action = NoStart ? "Create VM record" : $"Create and start VM{(Paused ? " paused" : string.Empty)} ({draft.MemoryMB} MB, {draft.ProcessorCount} CPU, {draft.Architecture})";
            if (!ShouldProcess(Name, action))
            {
                return;
            }

            WriteObject(Service.Create(draft, VncDisplay, start: !NoStart, CancellationToken, Paused));
        });
    }

    private VmSpec BuildDraft()
    {
        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            throw new HeadlessVmException("InvalidListenAddress", FailureKind.InvalidArgument, Name,
                $"'{ListenAddress}' is not an IP address to listen on (such as 127.0.0.1 or 0.0.0.0).");
        }

        var diskPaths = (DiskPath ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        var formats = (DiskFormat ?? Array.Empty<string>()).Where(f => !string.IsNullOrWhiteSpace(f)).ToArray();
        if (formats.Length > 1 && formats.Length != diskPaths.Length)
        {
            throw new HeadlessVmException("DiskFormatCountMismatch", FailureKind.InvalidArgument, Name,
                $"Give one -DiskFormat for all disks, or one per -DiskPath ({diskPaths.Length}); got {formats.Length}.");
        }

        var disks = diskPaths.Select((path, i) =>
        {
            var full = ResolvePath(path)!;
            var stated = formats.Length == 0 ? null : formats[formats.Length == 1 ? 0 : i];
            return new DiskSpec(full, DiskFormats.Resolve(full, stated));
        }).ToArray();

        var forwards = (PortForward ?? Array.Empty<string>())
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => Core.Model.PortForward.Parse(p))
            .ToArray();

        return new VmSpec
        {
            Name = Name,
            MemoryMB = MemoryMB,
            ProcessorCount = ProcessorCount,
            Cpu = string.IsNullOrWhiteSpace(Cpu) ? null : Cpu,
            Architecture = string.IsNullOrWhiteSpace(Architecture) ? "x86_64" : Architecture,
            Accelerator = Accelerator,
            IsoPath = ResolvePath(IsoPath),
            Disks = disks,
            KernelPath = ResolvePath(KernelPath),
            InitrdPath = ResolvePath(InitrdPath),
            KernelArgument = string.IsNullOrEmpty(KernelArgument) ? null : KernelArgument,
            BootOrder = string.IsNullOrWhiteSpace(BootOrder) ? null : BootOrder,
            ListenAddress = ListenAddress,
            Network = Network,
            PortForwards = forwards,
            MacAddress = string.IsNullOrWhiteSpace(MacAddress) ? null : MacAddress,
            ExtraArguments = ExtraArgument ?? Array.Empty<string>(),
        };
    }
}
