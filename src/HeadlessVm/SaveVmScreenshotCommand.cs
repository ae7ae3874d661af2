using System.Globalization;
using System.Management.Automation;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Commands;

/// <summary>Saves a running VM's screen as a PNG (QMP screendump) and emits the file.</summary>
[Cmdlet(VerbsData.Save, "VmScreenshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveVmScreenshotCommand : VmCmdlet
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
        foreach (var vm in ResolveVmsOnHosts(Name))
        {
            var (host, name) = vm;
            var file = Target(vm);
            if (!ShouldProcess(file, $"Save the screen of VM '{Describe(vm)}' as PNG"))
            {
                continue;
            }

            Try(name, host, () =>
            {
                if (File.Exists(file) && !Force)
                {
                    throw HeadlessVmErrors.ScreenshotFileExists(name, file);
                }

                WriteObject(Backend(host).SaveScreenshot(name, file, CancellationToken));
            });
        }
    }

    /// <summary>The file: -Path, or VM-TIMESTAMP.png (HOST~VM-TIMESTAMP.png for a VM on a host) in -Path's folder or the current location.</summary>
    private string Target(VmOnHost vm)
    {
        var fileName = $"{Core.Console.BridgeNames.Of(vm.Host, vm.Name)}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.png";
        var path = ResolvePath(Path);
        if (path is null)
        {
            return System.IO.Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, fileName);
        }

        return Directory.Exists(path) ? System.IO.Path.Combine(path, fileName) : path;
    }
}
