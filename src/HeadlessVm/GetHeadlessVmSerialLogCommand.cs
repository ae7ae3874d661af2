using System.Management.Automation;
using HeadlessVm.Core.Guest;

namespace HeadlessVm.Commands;

/// <summary>The lines a VM's serial console printed during its current (or last) boot.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmSerialLog")]
[OutputType(typeof(string))]
public sealed class GetHeadlessVmSerialLogCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Only the last N lines.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? Tail { get; set; }

    protected override void ProcessRecord()
    {
        Try(Name, () =>
        {
            foreach (var line in new GuestConsole(Service).ReadSerial(Name, Tail))
            {
                WriteObject(line);
            }
        });
    }
}
