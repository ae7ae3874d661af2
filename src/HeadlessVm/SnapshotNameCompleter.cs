using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HeadlessVm.Core;
using HeadlessVm.Core.State;

namespace HeadlessVm.Commands;

/// <summary>
/// Completes -SnapshotName with the checkpoints of the VMs that -Name (or -VmName) already names: in the folder store
/// (each disk's qemu-img info), or on the hosts -ComputerName or -ConnectionUri name (libvirt's snapshot list, asked at once
/// for at most <see cref="VmNameCompleter.HostWait"/>); nothing while no VM is named, or when a disk or host cannot be read.
/// </summary>
public sealed class SnapshotNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
        var vms = fakeBoundParameters.Contains("Name") ? fakeBoundParameters["Name"] : fakeBoundParameters.Contains("VmName") ? fakeBoundParameters["VmName"] : null;
        var names = LanguagePrimitives.ConvertTo<string[]>(vms) ?? Array.Empty<string>();
        if (names.Length == 0)
        {
            return Array.Empty<CompletionResult>();
        }

        var found = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            var context = new HeadlessVmContext(StatePaths.FromEnvironment(resolve: VmNameCompleter.ResolveAgainstLocation));
            var hosts = VmNameCompleter.Strings(fakeBoundParameters, "ComputerName");
            var uris = VmNameCompleter.Strings(fakeBoundParameters, "ConnectionUri");
            IEnumerable<string> Snapshots(Core.Backends.IVmBackend vms) =>
                names.Where(vms.Exists).SelectMany(name => vms.GetSnapshots(name, CancellationToken.None).Select(s => s.SnapshotName));
            found.UnionWith(hosts.Length == 0 && uris.Length == 0 ? Snapshots(context.Vms) : VmNameCompleter.AskHosts(context, hosts, uris, Snapshots));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HeadlessVmException)
        {
            return Array.Empty<CompletionResult>();
        }

        return found.Where(s => pattern.IsMatch(s))
            .Select(s => new CompletionResult(s.Contains(' ') ? $"'{s.Replace("'", "''")}'" : s, s, CompletionResultType.ParameterValue, s)).ToArray();
    }
}
