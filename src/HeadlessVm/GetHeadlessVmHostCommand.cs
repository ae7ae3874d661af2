using System.Management.Automation;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>Lists the registered hosts, with what this session's open connections say about them (nothing is opened).</summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmHost")]
[OutputType(typeof(HostInfo))]
public sealed class GetHeadlessVmHostCommand : HeadlessVmCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[]? ComputerName { get; set; }

    protected override void ProcessRecord()
    {
        Try(null, () =>
        {
            var hosts = Context.HostService.List();
            foreach (var host in ResolveByName(ComputerName, hosts, h => h.ComputerName, name => ToErrorRecord(HeadlessVmErrors.HostNotFound(name), name)!))
            {
                WriteObject(host);
            }
        });
    }
}
