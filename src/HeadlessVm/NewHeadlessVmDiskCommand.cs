using System.Management.Automation;
using HeadlessVm.Core;
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
    private const double GiB = 1024d * 1024 * 1024;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The size the guest sees, in GiB (fractions allowed). Optional with -BackingPath, which gives its own size.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0d, double.MaxValue)]
    public double? SizeGB { get; set; }

    /// <summary>qcow2, raw, vpc (VHD), vhdx...; by default the one the extension names, else qcow2.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("qcow2", "raw", "vpc", "vhd", "vhdx", "vmdk", "vdi", "qed", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>The base image of a linked clone; it is only read, never written.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("BaseImage")]
    public string? BackingPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path)!;
        Try(path, () =>
        {
            long? bytes = null;
            if (SizeGB is { } gb)
            {
                var exact = gb * GiB;
                if (exact >= long.MaxValue)
                {
                    throw new HeadlessVmException("InvalidDiskSize", FailureKind.InvalidArgument, path,
                        $"{gb} GB is more than a disk image can hold.");
                }

                bytes = (long)Math.Round(exact);
            }

            var backing = ResolvePath(BackingPath);
            if (bytes is null && backing is null)
            {
                throw new HeadlessVmException("DiskSizeRequired", FailureKind.InvalidArgument, path,
                    $"Give a size for the new disk '{path}' (-SizeGB), or a -BackingPath whose size it takes.");
            }

            var exists = File.Exists(path) || Directory.Exists(path);
            var what = backing is null
                ? $"Create {Format ?? "disk"} image of {SizeGB} GB"
                : $"Create linked clone of '{backing}'";
            if (exists)
            {
                if (!Force)
                {
                    throw new HeadlessVmException("DiskExists", FailureKind.ResourceExists, path,
                        $"'{path}' already exists. Use -Force to overwrite it (its contents are lost).");
                }

                what = "Overwrite with a new image: " + what;
            }

            if (!ShouldProcess(path, what))
            {
                return;
            }

            WriteObject(QemuImg.Create(path, Format, bytes, backing, Force, this, CancellationToken));
        });
    }
}
