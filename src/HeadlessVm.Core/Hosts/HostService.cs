using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// What Connect-, Get- and Disconnect-HeadlessVmHost do: register a host (after checking that it answers), list the
/// registered ones with what their open connections say, and close or forget them.
/// </summary>
public sealed class HostService
{
    private readonly HostRegistry _registry;
    private readonly TargetResolver _targets;
    private readonly LibvirtConnectionPool _connections;
    private readonly IVmHost _host;

    public HostService(HostRegistry registry, TargetResolver targets, LibvirtConnectionPool connections, IVmHost host)
    {
        _registry = registry;
        _targets = targets;
        _connections = connections;
        _host = host;
    }

    /// <summary>
    /// Registers <paramref name="name"/> for <paramref name="uri"/> (<c>qemu+ssh://NAME/system</c> when null), its VMs' consoles
    /// reached as <paramref name="consoleVia"/> says ("Direct" or ssh://...; null: as the URI says; InvalidConsoleVia otherwise).
    /// With <paramref name="verify"/> the connection is opened first and kept for this process, and nothing is registered when
    /// it fails (its error has the host as target). HostExists for a name registered otherwise unless <paramref name="replace"/>.
    /// </summary>
    public HostInfo Connect(string name, string? uri, bool verify, bool replace, CancellationToken cancellationToken, string? consoleVia = null)
    {
        HostRegistry.ValidateName(name);
        var normal = uri is null ? TargetResolver.SshUri(name) : TargetResolver.Normalise(uri);
        var via = consoleVia is null ? null : Tunnels.ConsoleRoute.ParseConsoleVia(name, consoleVia);
        if (via is not null && via != Tunnels.ConsoleRoute.Direct)
        {
            TargetResolver.CheckKeyFile(LibvirtUri.Parameter(via, "keyfile"), why => HeadlessVmErrors.InvalidConsoleVia(name, consoleVia!, why));
        }

        if (_registry.Find(name) is { } existing && (existing.Uri != normal || existing.ConsoleVia != via) && !replace)
        {
            throw HeadlessVmErrors.HostExists(existing.Name, HostRegistry.Describe(existing.Uri, existing.ConsoleVia), HostRegistry.Describe(normal, via));
        }

        LibvirtHostInfo? facts = null;
        if (verify)
        {
            facts = Open(new HostTarget(name, normal), cancellationToken).GetHostInfo();
            _host.Verbose($"Host '{name}' answers at {normal}: libvirt {facts.DaemonLibraryVersion}, {facts.HypervisorType} {facts.HypervisorVersion} on {facts.HostName}.");
        }

        var record = _registry.Register(name, normal, replace, via);
        if (via == Tunnels.ConsoleRoute.Direct)
        {
            _host.Warning($"Consoles of {name}'s VMs will connect straight to their VNC servers: VNC crosses the network unencrypted, " +
                "and each VM must listen on an address this machine reaches (New-HeadlessVm -ListenAddress, or <listen address=...> in its domain).");
        }

        return Describe(record.Name, record.Uri, record, facts);
    }

    /// <summary>The registered hosts, with what their open connections (if any) say; nothing is opened.</summary>
    public IReadOnlyList<HostInfo> List() => _registry.List().Select(h => Describe(h.Name, h.Uri, h, FactsIfOpen(h.Uri))).ToArray();

    /// <summary>
    /// Closes this process's connection to the host (a registered name, or a host named by -ComputerName before) and,
    /// with <paramref name="forget"/>, removes it from hosts.json. HostNotFound when there is nothing of that name.
    /// </summary>
    public HostInfo Disconnect(string name, bool forget)
    {
        var record = _registry.Find(name);
        var uri = record?.Uri ?? (HostRegistry.IsValidSshHost(name) ? TargetResolver.SshUri(name) : null);
        var closed = uri is not null && _connections.Close(uri);
        if (record is null && !closed)
        {
            throw HeadlessVmErrors.HostNotFound(name);
        }

        if (forget && record is not null)
        {
            _registry.Forget(record.Name);
        }

        _host.Verbose(closed ? $"Closed the connection to '{name}'." : $"No connection to '{name}' was open.");
        return Describe(record?.Name ?? name, uri!, forget ? null : record, null);
    }

    /// <summary>The host's connection, opened through the pool; libvirt's failure carries the host as target.</summary>
    internal LibvirtConnection Open(HostTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return _connections.Get(target.ConnectionUri!, target.ComputerName, cancellationToken);
        }
        catch (LibvirtException e) when (e.Target == target.ConnectionUri)
        {
            throw HeadlessVmErrors.LibvirtFailure(e.ErrorId, e.Kind, target.ComputerName, e.Message, e.Error);
        }
    }

    private LibvirtHostInfo? FactsIfOpen(string uri)
    {
        if (!_connections.IsOpen(uri))
        {
            return null;
        }

        try
        {
            return _connections.Get(uri, uri, CancellationToken.None).GetHostInfo();
        }
        catch (HeadlessVmException e)
        {
            _host.Debug($"{uri}: {e.Message}");
            return null;
        }
    }

    private HostInfo Describe(string name, string uri, HostRecord? record, LibvirtHostInfo? facts) => new(
        name, uri, record is not null, _connections.IsOpen(uri), record?.Created, record?.ConsoleVia,
        facts?.HostName, facts?.DaemonLibraryVersion, facts is null ? null : $"{facts.HypervisorType} {facts.HypervisorVersion}");

    /// <summary>The targets a host cmdlet's names stand for (registered names, host names, "*" for every registered host).</summary>
    public IReadOnlyList<HostTarget> Targets(IReadOnlyList<string> names) =>
        _targets.Resolve(names, null).Where(t => !t.IsLocalStore).ToArray();
}
