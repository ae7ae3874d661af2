using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Core.Console;

/// <summary>A VM's screen as a PNG, through QMP screendump.</summary>
public static class Screenshots
{
    /// <summary>Writes the VM's current screen to <paramref name="path"/> (absolute) as a PNG; qemu writes the file.</summary>
    public static FileInfo Save(VmService vms, string name, string path, CancellationToken cancellationToken = default)
    {
        var folder = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            throw new HeadlessVmException("ScreenshotFolderNotFound", FailureKind.ObjectNotFound, name,
                $"The folder of '{path}' does not exist.");
        }

        using var qmp = vms.ConnectQmp(name, cancellationToken);
        try
        {
            // qemu 7.1 added the format argument; its default is PPM.
            qmp.Execute("screendump", new { filename = path, format = "png" });
        }
        catch (QmpException ex)
        {
            throw new HeadlessVmException("ScreenshotFailed", FailureKind.InvalidOperation, name,
                $"qemu could not save the screen of VM '{name}' to '{path}': {ex.Description}", ex);
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new HeadlessVmException("ScreenshotFailed", FailureKind.InvalidOperation, name,
                $"qemu reported that it saved the screen of VM '{name}', but '{path}' is not there.");
        }

        return file;
    }
}
