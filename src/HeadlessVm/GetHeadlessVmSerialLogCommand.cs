using System.Management.Automation;

namespace HeadlessVm.Commands;

/// <summary>The lines a VM's serial console printed during its current (or last) boot.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmSerialLog")]
[OutputType(typeof(string))]
public sealed class GetHeadlessVmSerialLogCommand : HeadlessVmCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Only the last N lines (of each VM).</summary>
    [Parameter]
    [InvariantNumber(EmptyIsNotGiven = false)]
    [ValidateRange(0, int.MaxValue)]
    public int? Tail { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in ResolveVms(Name))
        {
            Try(name, () => WriteObject(Vms.ReadSerial(name, Tail), enumerateCollection: true));
        }
    }
}
