using System.Globalization;
using System.Management.Automation;
using HeadlessVm.Core.Errors;

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

    /// <summary>
    /// The PNG file, or a folder to put &lt;vm&gt;-&lt;timestamp&gt;.png in; the current location by default. It binds
    /// by property name, so that a script block gives each piped VM its own file: -Path { "$($_.Name).png" }.
    /// </summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [TextValue]
    public string? Path { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in ResolveVms(Name))
        {
            var file = Target(name);
            if (!ShouldProcess(file, $"Save the screen of VM '{name}' as PNG"))
            {
                continue;
            }

            Try(name, () =>
            {
                if (File.Exists(file) && !Force)
                {
                    throw HeadlessVmErrors.ScreenshotFileExists(name, file);
                }

                WriteObject(Vms.SaveScreenshot(name, file, CancellationToken));
            });
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
