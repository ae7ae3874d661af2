using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Core.Folder;

/// <summary>A store VM's screen as a PNG, through QMP screendump; qemu writes the file.</summary>
public sealed class Screenshots
{
    private readonly VmMonitor _monitor;

    public Screenshots(VmMonitor monitor) => _monitor = monitor;

    /// <summary>Writes the VM's current screen to <paramref name="path"/> (absolute) as a PNG.</summary>
    public FileInfo Save(string name, string path, CancellationToken cancellationToken = default)
    {
        var folder = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            throw HeadlessVmErrors.ScreenshotFolderNotFound(name, path);
        }

        _monitor.Session(name, cancellationToken, qmp =>
        {
            try
            {
                // qemu 7.1 added the format argument; its default is PPM.
                qmp.Execute("screendump", new { filename = path, format = "png" });
            }
            catch (QmpException ex)
            {
                throw HeadlessVmErrors.ScreenshotFailed(name, path, ex.Description, ex);
            }
        });

        var file = new FileInfo(path);
        return file.Exists ? file : throw HeadlessVmErrors.ScreenshotFailed(name, path, "it reported success, but the file is not there");
    }
}
