using System.Management.Automation;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Lists VMs with their live state, read from the process and QMP (the folder store) or from libvirt each time. Hosts
/// are asked at once; a host that cannot be asked is one error and the others still list. When the VMs listed come
/// from more than one host the table gets a Host column.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVm")]
[OutputType(typeof(VmInfo))]
public sealed class GetHeadlessVmCommand : VmCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VmNameCompleter))]
    [Alias("VmName")]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var targets = ResolveTargets();
        if (targets is null)
        {
            return;
        }

        if (targets.Count == 1 && targets[0].IsLocalStore)
        {
            // All at once: the VMs are asked concurrently, one QMP round trip each.
            var names = ResolveVms(Name);
            Try(null, () => WriteObject(Vms.Inspect(names, (name, ex) => WriteError(ex, name)), enumerateCollection: true));
            return;
        }

        var answers = AskHosts(targets, vms =>
        {
            var (matched, found) = NameFilter.Match(vms.Names(), Name);
            var failures = new List<(string, Exception)>();
            return (Vms: vms.Inspect(matched, (n, e) => failures.Add((n, e))), Found: found, Failures: failures);
        });

        foreach (var answer in answers)
        {
            foreach (var (vm, error) in answer.Value.Failures)
            {
                if (ToErrorRecord(error, vm) is { } record)
                {
                    WriteError(OnHost(record, answer.Target));
                }
            }
        }

        foreach (var missing in NameFilter.Plain(Name).Where(n => !answers.Any(a => a.Value.Found.Contains(n))))
        {
            WriteError(ToErrorRecord(HeadlessVmErrors.VmNotFound(missing, string.Join(", ", answers.Select(a => a.Target.ComputerName))), missing)!);
        }

        var all = answers.SelectMany(a => a.Value.Vms).ToArray();
        WriteVms(all, SpanHosts(all));
    }
}
