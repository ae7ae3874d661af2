using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Qemu;

/// <summary>
/// Disk image files: described and created through qemu-img, whose own message is what a user sees when
/// it refuses. Paths are full paths on this machine.
/// </summary>
public sealed class DiskImages
{
    private const double BytesPerGiB = 1024d * 1024 * 1024;
    private readonly IVmHost _host;

    public DiskImages(IVmHost host) => _host = host;

    /// <summary><paramref name="gb"/> GiB in whole bytes; InvalidDiskSize when it is not more than 0 (a disk of no bytes holds nothing) or more than a 64-bit count holds.</summary>
    public static long BytesFromGiB(string path, double gb)
    {
        var exact = gb * BytesPerGiB;
        if (gb < 0 || double.IsNaN(exact) || exact >= long.MaxValue || Math.Round(exact) < 1)
        {
            throw HeadlessVmErrors.InvalidDiskSize(path, $"{gb} GB");
        }

        return (long)Math.Round(exact);
    }

    /// <summary>
    /// The checks a new image passes before anything runs: a size (or a backing file to take it from),
    /// and no existing file unless <paramref name="force"/>. Returns whether a file is there (to be overwritten).
    /// </summary>
    public static bool CheckCreate(string path, long? sizeBytes, string? backingPath, bool force)
    {
        if (sizeBytes is < 1)
        {
            throw HeadlessVmErrors.InvalidDiskSize(path, $"{sizeBytes} bytes");
        }

        if (sizeBytes is null && backingPath is null)
        {
            throw HeadlessVmErrors.DiskSizeRequired(path);
        }

        var exists = File.Exists(path) || Directory.Exists(path);
        if (exists && !force)
        {
            throw HeadlessVmErrors.DiskExists(path);
        }

        return exists;
    }

    /// <summary>
    /// Creates an image (format: stated, else the extension's, else qcow2; a linked clone of
    /// <paramref name="backingPath"/> when given) and returns what qemu-img then says about it.
    /// </summary>
    public VmDisk Create(string path, string? format, long? sizeBytes, string? backingPath, bool force, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        // A new image takes the format its extension names; qcow2 when the name says nothing.
        var fmt = string.IsNullOrWhiteSpace(format) ? DiskFormats.FromExtension(path) ?? "qcow2" : DiskFormats.Stated(path, format);
        backingPath = backingPath is null ? null : Path.GetFullPath(backingPath);
        var existed = CheckCreate(path, sizeBytes, backingPath, force);
        string? backingFormat = null;
        if (backingPath is not null)
        {
            if (string.Equals(backingPath, path, StringComparison.Ordinal))
            {
                throw HeadlessVmErrors.DiskIsOwnBacking(path);
            }

            // The backing file's format from its content, as for a VM's disk: a file that is no image
            // format is raw only when its name says raw, and a name that says otherwise gets a warning.
            backingFormat = DiskFormats.Resolve(backingPath, null, p => GetInfo(p, cancellationToken).Format, _host.Warning,
                "A raw backing file must be named .img or .raw; otherwise convert it (qemu-img convert -O qcow2).");
        }

        var command = QemuImg.CreateCommand(path, fmt, sizeBytes, backingPath, backingFormat);
        _host.Verbose("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            // qemu-img creates the file before it checks some limits (vpc's maximum size), and leaves
            // it behind empty; remove what this call made, never a file that was there before.
            if (!existed && File.Exists(path))
            {
                File.Delete(path);
            }

            var (reason, kind) = QemuImg.Refusal(result, FailureKind.InvalidArgument);
            throw HeadlessVmErrors.QemuImgCreateFailed(path, kind, reason, command.Program, result.ExitCode, result.StandardError);
        }

        return GetInfo(path, cancellationToken);
    }

    /// <summary>The format of an existing image as its content says (qemu-img info); DiskNotFound when there is no such file.</summary>
    public string FormatOf(string path, CancellationToken cancellationToken = default) => GetInfo(path, cancellationToken).Format;

    /// <summary>Reads an image's header through qemu-img info; DiskNotFound when there is no such file.</summary>
    public VmDisk GetInfo(string path, CancellationToken cancellationToken = default) => Describe(path, cancellationToken).Disk;

    /// <summary>
    /// An image's header and its internal snapshots, from one qemu-img info (-U: the snapshot table of an image a
    /// running qemu holds is read as qemu last flushed it, which it does whenever a snapshot is made or deleted).
    /// </summary>
    public (VmDisk Disk, IReadOnlyList<DiskSnapshot> Snapshots) Describe(string path, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw HeadlessVmErrors.DiskNotFound(path, isFolder: Directory.Exists(path));
        }

        var command = QemuImg.InfoCommand(path);
        _host.Debug("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            var (reason, kind) = QemuImg.Refusal(result, FailureKind.InvalidOperation);
            throw HeadlessVmErrors.QemuImgInfoFailed(path, kind, reason, command.Program, result.ExitCode, result.StandardError);
        }

        return (QemuImg.ParseInfo(result.StandardOutput, path), QemuImg.ParseSnapshots(result.StandardOutput, path));
    }

    /// <summary>
    /// The full paths of <paramref name="path"/> and of each backing file under it (qemu-img info --backing-chain), the
    /// image first; just the path when it is no file, or when qemu-img cannot read the chain (qemu then says why at start).
    /// </summary>
    public IReadOnlyList<string> BackingChain(string path, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            return new[] { path };
        }

        var command = QemuImg.BackingChainCommand(path);
        _host.Debug("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        return result.ExitCode == 0 ? QemuImg.ParseBackingChain(result.StandardOutput, path) : new[] { path };
    }

    /// <summary>How long a full copy of a disk may take (qemu-img convert of a large image on a slow disk) before ProgramTimedOut.</summary>
    public static readonly TimeSpan CopyTimeout = TimeSpan.FromHours(2);

    /// <summary>
    /// Copies <paramref name="source"/> (of <paramref name="format"/>) whole to <paramref name="target"/>, in the same format,
    /// or as it was at <paramref name="snapshot"/>; QemuImgConvertFailed, with <paramref name="vmName"/> as target, when
    /// qemu-img refuses. The target is removed again when the copy fails. Reports progress to the host while it runs.
    /// </summary>
    public void Copy(string vmName, string source, string format, string target, string? snapshot, CancellationToken cancellationToken = default)
    {
        var command = QemuImg.ConvertCommand(source, format, target, snapshot);
        _host.Verbose("Running: " + command.Display);
        // Progress from this thread (the host's calls belong to it) while qemu-img runs on another: the bytes written
        // to the target so far against the source's allocated bytes, which a full copy writes about as many of.
        var expected = Math.Max(1, GetInfo(source, cancellationToken).ActualSize ?? 1);
        var activity = $"Copying disk '{Path.GetFileName(source)}' of VM '{vmName}'";
        var run = Task.Run(() => NativeRunner.Run(command, cancellationToken, timeout: CopyTimeout), cancellationToken);
        NativeResult result;
        try
        {
            // Not Task.Wait: it would wrap qemu-img's own failure in an AggregateException.
            while (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(500)))
            {
                var written = File.Exists(target) ? new FileInfo(target).Length : 0;
                _host.Progress(new WaitProgress(activity, $"{written / (1024 * 1024)} of about {expected / (1024 * 1024)} MB", (int)Math.Min(99, 100 * written / expected), -1));
            }

            result = run.GetAwaiter().GetResult();
        }
        catch
        {
            File.Delete(target);
            throw;
        }
        finally
        {
            _host.Progress(new WaitProgress(activity, "done", 100, 0, Completed: true));
        }

        if (result.ExitCode != 0)
        {
            File.Delete(target);
            var (reason, kind) = QemuImg.Refusal(result, FailureKind.InvalidOperation);
            throw HeadlessVmErrors.QemuImgConvertFailed(vmName, source, kind, reason, command.Program, result.ExitCode, result.StandardError);
        }
    }

    /// <summary>
    /// Runs qemu-img snapshot on an image no qemu holds; its refusal is QemuImgSnapshotFailed with <paramref name="vmName"/>
    /// as target and qemu-img's own message.
    /// </summary>
    public void Snapshot(string vmName, SnapshotAction action, string tag, string path, CancellationToken cancellationToken = default)
    {
        var command = QemuImg.SnapshotCommand(action, tag, path);
        _host.Verbose("Running: " + command.Display);
        var result = NativeRunner.Run(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            var (reason, kind) = QemuImg.Refusal(result, FailureKind.InvalidOperation);
            throw HeadlessVmErrors.QemuImgSnapshotFailed(vmName, path, kind, reason, command.Program, result.ExitCode, result.StandardError);
        }
    }
}
