using System.Management.Automation;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Commands;

/// <summary>
/// Creates a disk image with qemu-img create; -BackingPath makes a linked clone that records only its
/// changes. An existing file is never overwritten without -Force.
/// </summary>
[Cmdlet(VerbsCommon.New, "HeadlessVmDisk", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VmDisk))]
public sealed class NewHeadlessVmDiskCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The size the guest sees, in GiB (fractions allowed). Optional with -BackingPath, which gives its own size.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [InvariantNumber(AllowFraction = true)]
    public double? SizeGB { get; set; }

    /// <summary>qcow2, raw, vpc (VHD), vhdx...; by default the one the extension names, else qcow2.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TextValue]
    [ValidateSet("qcow2", "raw", "vpc", "vhd", "vhdx", "vmdk", "vdi", "qed", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>The base image of a linked clone; it is only read, never written.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BaseImage")]
    [TextValue]
    public string? BackingPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path)!;
        Try(path, () =>
        {
            long? bytes = SizeGB is { } gb ? DiskImages.BytesFromGiB(path, gb) : null;
            var backing = ResolvePath(BackingPath);
            // The core's checks, made now so that -WhatIf says what would happen (and refuses what would fail).
            var exists = DiskImages.CheckCreate(path, bytes, backing, Force);
            var what = backing is null
                ? $"Create {Format ?? "disk"} image of {SizeGB} GB"
                : $"Create linked clone of '{backing}'";
            if (exists)
            {
                what = "Overwrite with a new image: " + what;
            }

            if (!ShouldProcess(path, what))
            {
                return;
            }

            WriteObject(Context.Disks.Create(path, Format, bytes, backing, Force, CancellationToken));
        });
    }
}
