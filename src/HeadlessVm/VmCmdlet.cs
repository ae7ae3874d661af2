using System.Management.Automation;
using HeadlessVm.Core;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>A VM named on a host: what the VM cmdlets act on.</summary>
public sealed record VmOnHost(HostTarget Host, string Name);

/// <summary>
/// The base of every cmdlet that targets VMs: -ComputerName and -ConnectionUri (both by property name, so a piped
/// VmInfo goes back to its own host), their resolution into hosts, VM names resolved on those hosts (asked
/// concurrently, each failing host one error with the host as target), and output that shows a Host column when it
/// spans more than one host. With neither parameter, everything happens in the folder store, as before hosts.
/// </summary>
public abstract class VmCmdlet : HeadlessVmCmdlet
{
    /// <summary>The extra type name whose table view has a Host column (HeadlessVm.Format.ps1xml).</summary>
    public const string ManyHostsTypeName = "HeadlessVm.Core.Model.VmInfo#Hosts";

    private readonly Dictionary<HostTarget, IVmBackend> _backends = new();

    /// <summary>
    /// Where the VMs are: "local" (the folder store), a host registered with Connect-HeadlessVmHost, any other host
    /// name (qemu+ssh://NAME/system), or "*" for every registered host and the folder store.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    [Alias("Cn")]
    [AllowNull]
    [AllowEmptyCollection]
    [TextValue(List = true)]
    public string[]? ComputerName { get; set; }

    /// <summary>A libvirt URI, such as qemu:///system or qemu+ssh://admin@web1/system.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    [TextValue(List = true)]
    public string[]? ConnectionUri { get; set; }

    /// <summary>The hosts the current record names; null (after an error) when they cannot be resolved.</summary>
    protected IReadOnlyList<HostTarget>? ResolveTargets()
    {
        try
        {
            return Context.Targets.Resolve(ComputerName, ConnectionUri);
        }
        catch (HeadlessVmException ex)
        {
            WriteError(ToErrorRecord(ex, ex.Target)!);
            return null;
        }
    }

    /// <summary>The VMs of a host, through a backend that reports to this cmdlet (one per host per command).</summary>
    protected IVmBackend Backend(HostTarget host)
    {
        if (!_backends.TryGetValue(host, out var backend))
        {
            backend = Context.BackendFor(host, CancellationToken);
            _backends[host] = backend;
        }

        return backend;
    }

    /// <summary>
    /// The VMs that <paramref name="names"/> name on the current record's hosts, wildcards expanded, each once; every
    /// VM when null. A plain name found on none of the hosts that answered is VmNotFound (nothing more when none answered:
    /// each host's error stands); found on several with <paramref name="unique"/>
    /// (a console is one VM's), AmbiguousVmName. Only the folder store: exactly as before hosts.
    /// </summary>
    protected IReadOnlyList<VmOnHost> ResolveVmsOnHosts(IEnumerable<string>? names, bool unique = false)
    {
        var targets = ResolveTargets();
        if (targets is null)
        {
            return Array.Empty<VmOnHost>();
        }

        if (targets.Count == 1 && targets[0].IsLocalStore)
        {
            return ResolveVms(names).Select(n => new VmOnHost(HostTarget.Local, n)).ToArray();
        }

        var answered = new List<(HostTarget Host, IReadOnlyList<string> Names)>();
        foreach (var answer in AskHosts(targets, vms => vms.Names()))
        {
            answered.Add((answer.Target, answer.Value!));
        }

        var all = answered.SelectMany(a => a.Names.Select(n => new VmOnHost(a.Host, n))).ToArray();
        if (names is null)
        {
            return all;
        }

        var result = new List<VmOnHost>();
        foreach (var name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                result.AddRange(all.Where(v => pattern.IsMatch(v.Name)));
                continue;
            }

            var found = all.Where(v => v.Name == name).ToArray();
            if (found.Length == 0 && answered.Count == 0)
            {
                // No host answered: each host's own error says why, and "not found on no host" would say nothing more.
                continue;
            }

            if (found.Length == 0)
            {
                WriteError(ToErrorRecord(HeadlessVmErrors.VmNotFound(name, string.Join(", ", answered.Select(a => a.Host.ComputerName))), name)!);
            }
            else if (found.Length > 1 && unique)
            {
                WriteError(ToErrorRecord(HeadlessVmErrors.AmbiguousVmName(name, string.Join(", ", found.Select(v => v.Host.ComputerName))), name)!);
            }
            else
            {
                result.AddRange(found);
            }
        }

        return result.Distinct().ToArray();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on each host concurrently; each host that fails is one error with the host as target
    /// and is left out of the answers. What the hosts reported is replayed here, on the pipeline thread.
    /// </summary>
    protected IReadOnlyList<HostAnswer<T>> AskHosts<T>(IReadOnlyList<HostTarget> targets, Func<IVmBackend, T> work)
    {
        IReadOnlyList<HostAnswer<T>> answers;
        try
        {
            answers = Context.FanOut.Run(targets, work, CancellationToken);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        foreach (var failed in answers.Where(a => a.Failure is not null))
        {
            WriteHostError(failed.Target, failed.Failure!);
        }

        return answers.Where(a => a.Failure is null).ToArray();
    }

    /// <summary>
    /// The cloud-init parameters of New- and Set-HeadlessVm as a draft, when any is given (null otherwise). A value of one
    /// word (no space, no line break) is a file path, resolved against the location when <paramref name="resolvePaths"/>;
    /// an empty one stays empty (Set-HeadlessVm -UserData '' drops the VM's user-data).
    /// </summary>
    protected Core.CloudInit.CloudInitDraft? CloudInitDraftOf(bool cloudInit, string[]? sshPublicKey, string? userName, string? hostName,
        string? userData, string? networkConfig, bool resolvePaths = true)
    {
        if (!cloudInit && sshPublicKey is not { Length: > 0 } && userName is null && hostName is null && userData is null && networkConfig is null)
        {
            return null;
        }

        string? FileOrText(string? value) => value is null || value.Length == 0 || !resolvePaths || value.Trim().Any(char.IsWhiteSpace) ? value : ResolvePath(value.Trim());
        return new()
        {
            UserName = userName,
            HostName = hostName,
            SshPublicKeys = (sshPublicKey ?? Array.Empty<string>()).Select(FileOrText).OfType<string>().ToArray(),
            UserData = FileOrText(userData),
            NetworkConfig = FileOrText(networkConfig),
        };
    }

    /// <summary>
    /// The checkpoints of <paramref name="all"/> that <paramref name="names"/> name (wildcards expanded; all when null);
    /// a plain name the VM lacks is a SnapshotNotFound error with the VM as target.
    /// </summary>
    protected IReadOnlyList<VmSnapshot> SelectSnapshots(VmOnHost vm, IReadOnlyList<VmSnapshot> all, IEnumerable<string>? names) =>
        ResolveByName(names, all, s => s.SnapshotName, name => OnHost(ToErrorRecord(HeadlessVmErrors.SnapshotNotFound(vm.Name, name), vm.Name)!, vm.Host));

    /// <summary>What ShouldProcess shows for a VM: its name, and its host unless it is the folder store's.</summary>
    protected static string Describe(VmOnHost vm) => vm.Host.IsLocalStore ? vm.Name : $"{vm.Name} on {vm.Host.ComputerName}";

    /// <summary>Writes VMs; when they come from more than one host, each also gets the type name whose table has a Host column.</summary>
    protected void WriteVms(IReadOnlyList<VmInfo> vms, bool manyHosts)
    {
        foreach (var vm in vms)
        {
            WriteVm(vm, manyHosts);
        }
    }

    /// <summary>Writes one VM (see <see cref="WriteVms"/>).</summary>
    protected void WriteVm(VmInfo vm, bool manyHosts)
    {
        if (!manyHosts)
        {
            WriteObject(vm);
            return;
        }

        var wrapped = new PSObject(vm);
        wrapped.TypeNames.Insert(0, ManyHostsTypeName);
        WriteObject(wrapped);
    }

    /// <summary>True when the VMs are on more than one host.</summary>
    protected static bool SpanHosts(IEnumerable<VmInfo> vms) => vms.Select(v => v.ConnectionUri ?? string.Empty).Distinct().Skip(1).Any();
}
