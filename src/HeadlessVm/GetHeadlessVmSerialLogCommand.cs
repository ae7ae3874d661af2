using System.Management.Automation;

namespace HeadlessVm.Commands;

/// <summary>The lines a VM's serial console printed during its current (or last) boot.</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmSerialLog")]
[OutputType(typeof(string))]
public sealed class GetHeadlessVmSerialLogCommand : VmCmdlet
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
        foreach (var (host, name) in ResolveVmsOnHosts(Name))
        {
            Try(name, host, () => WriteObject(Backend(host).ReadSerial(name, Tail), enumerateCollection: true));
        }
    }
}
