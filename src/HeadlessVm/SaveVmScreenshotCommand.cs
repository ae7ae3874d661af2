using System.Globalization;
using System.Management.Automation;
using HeadlessVm.Core.Console;

namespace HeadlessVm.Commands;

/// <summary>Saves a running VM's screen as a PNG (QMP screendump) and emits the file.</summary>
[Cmdlet(VerbsData.Save, "VmScreenshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveVmScreenshotCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The PNG file, or a folder to put &lt;vm&gt;-&lt;timestamp&gt;.png in; the current location by default.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var spec in ResolveVms(Name))
        {
            var file = Target(spec.Name);
            if (!ShouldProcess(file, $"Save the screen of VM '{spec.Name}' as PNG"))
            {
                continue;
            }

            if (File.Exists(file) && !Force)
            {
                WriteError(new ErrorRecord(new IOException($"'{file}' already exists. Use -Force to overwrite it."),
                    "ScreenshotFileExists", ErrorCategory.ResourceExists, spec.Name));
                continue;
            }

            Try(spec.Name, () => WriteObject(Screenshots.Save(Service, spec.Name, file, CancellationToken)));
        }
    }

    private string Target(string vm)
    {
        var fileName = $"{vm}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.png";
        var path = ResolvePath(Path);
        if (path is null)
        {
            return System.IO.Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, fileName);
        }

        return Directory.Exists(path) ? System.IO.Path.Combine(path, fileName) : path;
    }
}
