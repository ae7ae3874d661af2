using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Libvirt;

/// <summary>Defining domains and starting them: paused, console opened, forwards added, then resumed.</summary>
public sealed partial class LibvirtBackend
{
    /// <summary>
    /// Defines a domain from <paramref name="draft"/> (<see cref="DomainXml.Build"/>) with HeadlessVm's metadata, a random
    /// VNC password (in the XML; libvirt sets it over QMP, never on qemu's argv) on the draft's listen address, a serial
    /// log on the host where the daemon can write one, and starts it unless <paramref name="start"/> is false. The draft is
    /// checked as for the store (<see cref="VmDraftValidator.Check"/>) and its paths must be absolute: they are the host's.
    /// Auto picks KVM when the host offers it. cloud-init data gets a seed volume (LibvirtBackend.CloudInit.cs) attached as a read-only
    /// CD-ROM; no pool for it is DiskNotInStoragePool before anything is made. On failure nothing is left: a started domain is
    /// destroyed, a defined one undefined, an uploaded seed deleted.
    /// </summary>
    public VmInfo Create(VmSpec draft, int? vncDisplay, bool start, bool paused, CancellationToken cancellationToken)
    {
        var spec = VmDraftValidator.Check(draft);
        foreach (var path in new[] { spec.IsoPath, spec.KernelPath, spec.InitrdPath }.Concat(spec.Disks.Select(d => d.Path)).OfType<string>())
        {
            if (!Path.IsPathRooted(path))
            {
                throw HeadlessVmErrors.PathNotAbsolute(spec.Name, path, HostName);
            }
        }

        if (vncDisplay is < 0 or > DisplayAllocator.Highest)
        {
            throw HeadlessVmErrors.InvalidVncDisplay(spec.Name, vncDisplay.Value, DisplayAllocator.Highest);
        }

        if (Exists(spec.Name))
        {
            throw HeadlessVmErrors.VmAlreadyExists(spec.Name);
        }

        // Checked before anything is made: a VM with cloud-init needs a pool for its seed.
        var seedFolder = spec.CloudInit is null ? null : SeedFolder(spec.Name, spec);
        var domain = new LibvirtDomainSpec
        {
            Name = spec.Name,
            Uuid = Guid.NewGuid(),
            Architecture = spec.Architecture,
            MemoryMiB = spec.MemoryMB,
            ProcessorCount = spec.ProcessorCount,
            CpuModel = spec.Cpu,
            Accelerator = Accelerators.Resolve(spec.Accelerator, spec.Name, OffersKvm(spec.Architecture), _ =>
                _host.Warning($"{HostName} offers no KVM; VM '{spec.Name}' runs under TCG software emulation, which is much slower.")),
            IsoPath = spec.IsoPath,
            Disks = spec.Disks,
            KernelPath = spec.KernelPath,
            InitrdPath = spec.InitrdPath,
            KernelArguments = spec.KernelArgument,
            BootOrder = spec.BootOrder,
            Network = spec.Network,
            MacAddress = spec.MacAddress ?? (spec.Network == NetworkMode.User ? VmSecrets.RandomMac() : null),
            MacAddressGenerated = spec.MacAddress is null && spec.Network == NetworkMode.User,
            PortForwards = spec.PortForwards,
            VncPassword = VmSecrets.NewVncPassword(),
            VncListenAddress = spec.ListenAddress,
            VncPort = vncDisplay is { } d ? VmSpec.VncBasePort + d : null,
            ExtraArguments = spec.ExtraArguments,
            SerialLogPath = DomainVms.SerialLogPathFor(Uri, spec.Name),
            Created = DateTimeOffset.Now,
            CloudInit = spec.CloudInit,
        };

        var seed = spec.CloudInit is null ? null : UploadSeed(spec.Name, spec.CloudInit, seedFolder!, cancellationToken);
        LibvirtDomainId id;
        try
        {
            id = _connection.DefineNew(DomainXml.Build(domain with { CloudInitSeedPath = seed }));
        }
        catch
        {
            DeleteSeed(spec.Name, seed);
            throw;
        }

        _host.Verbose($"Defined domain '{spec.Name}' on {HostName} ({Uri}), UUID {id.Uuid}.");
        try
        {
            if (start)
            {
                Boot(spec.Name, id.Uuid, paused, spec.PortForwards, cancellationToken);
            }
        }
        catch
        {
            Discard(spec.Name, id.Uuid);
            DeleteSeed(spec.Name, seed);
            throw;
        }

        return Get(spec.Name);
    }

    /// <summary>Starts a defined domain the same way (a running one is returned as it is).</summary>
    public VmInfo Start(string name, bool paused, CancellationToken cancellationToken)
    {
        var info = Info(name);
        if (info.Status.State != LibvirtDomainState.Shutoff)
        {
            _host.Verbose($"VM '{name}' on {HostName} is already running.");
            return Build(info);
        }

        var forwards = Parse(name).Metadata?.PortForwards ?? Array.Empty<PortForward>();
        try
        {
            Boot(name, info.Uuid, paused, forwards, cancellationToken);
        }
        catch (Exception e) when (e is HeadlessVmException && _connection.Find(name) is not null && _connection.GetState(name).State != LibvirtDomainState.Shutoff)
        {
            // Started, but a forward failed: a VM without the forwards it was made with is not what was asked for.
            _connection.Destroy(name);
            throw;
        }

        return Get(name);
    }

    /// <summary>
    /// Starts the domain with its CPUs stopped, opens its console into a <see cref="SerialRecorder"/> (so that a wait misses
    /// no line), adds the port forwards through the monitor, then runs the CPUs unless <paramref name="paused"/>. A driver
    /// that cannot start paused (the test driver) is started normally; a console that cannot be opened (held by another
    /// client, a driver without consoles) is reported through Verbose and the boot goes on.
    /// </summary>
    private void Boot(string name, Guid uuid, bool paused, IReadOnlyList<PortForward> forwards, CancellationToken cancellationToken)
    {
        var startedPaused = true;
        try
        {
            _connection.Start(name, paused: true);
        }
        catch (HeadlessVmException e) when (e.ErrorId == ErrorIds.LibvirtInvalidArgument)
        {
            _host.Debug($"{HostName} cannot start '{name}' paused ({e.Message}); starting it running.");
            _connection.Start(name);
            startedPaused = false;
        }

        _host.Verbose($"Started VM '{name}' on {HostName}{(startedPaused ? " with its CPUs stopped" : string.Empty)}.");
        Record(name, uuid);
        AddPortForwards(name, forwards, cancellationToken);
        if (startedPaused && !paused)
        {
            _connection.Resume(name);
        }
        else if (!startedPaused && paused)
        {
            _connection.Suspend(name);
        }
    }

    /// <summary>Adds the port forwards to a domain just started, through its monitor (hostfwd_add); PortForwardFailed with qemu's reply.</summary>
    private void AddPortForwards(string name, IReadOnlyList<PortForward> forwards, CancellationToken cancellationToken)
    {
        foreach (var forward in forwards)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = _connection.QemuMonitorCommand(name, HostForwardCommands.Add(forward), humanMonitor: true);
            if (!string.IsNullOrWhiteSpace(reply))
            {
                throw HeadlessVmErrors.PortForwardFailed(name, forward.ToString(), reply, holder: ForwardHolder(name, forward));
            }

            _host.Verbose($"VM '{name}': forwarding {forward} (hostfwd_add through the monitor; libvirt marks the domain tainted).");
        }
    }

    /// <summary>
    /// The running domain of this host, other than <paramref name="name"/>, whose HeadlessVm metadata forwards the same host
    /// port (a lab recreated beside its original); null when none does or the host cannot say (the failure is reported either way).
    /// </summary>
    private string? ForwardHolder(string name, PortForward forward)
    {
        try
        {
            var running = _connection.ListDomains()
                .Where(d => d.Name != name && d.Status.State is not LibvirtDomainState.Shutoff)
                .Select(d => DomainVms.ToSpec(Parse(d.Name)));
            return SharedResources.ForwardHolder(forward, running)?.Name;
        }
        catch (HeadlessVmException)
        {
            return null;
        }
    }

    /// <summary>Opens the console of a domain just started and records it; best effort.</summary>
    private void Record(string name, Guid uuid)
    {
        try
        {
            var console = _connection.OpenConsole(name);
            _recorders.Add(Uri, uuid, new SerialRecorder(console, _connection.GetInfo(name).Id));
        }
        catch (HeadlessVmException e)
        {
            _host.Verbose($"VM '{name}': its serial console is not recorded from the start ({e.Message}).");
        }
    }

    /// <summary>Undoes a failed create: destroys the domain if it runs, undefines it; errors on the way are only reported.</summary>
    private void Discard(string name, Guid uuid)
    {
        _recorders.Remove(Uri, uuid);
        try
        {
            if (_connection.Find(name) is null)
            {
                return;
            }

            if (_connection.GetState(name).State != LibvirtDomainState.Shutoff)
            {
                _connection.Destroy(name);
            }

            _connection.Undefine(name);
        }
        catch (HeadlessVmException e)
        {
            _host.Warning($"VM '{name}' could not be removed from {HostName} after its creation failed: {e.Message}");
        }
    }

    /// <summary>True when the host offers KVM for the architecture (domain capabilities); false where the driver cannot say.</summary>
    private bool OffersKvm(string architecture)
    {
        try
        {
            return _connection.SupportsVirtualizationType("kvm", architecture);
        }
        catch (HeadlessVmException e) when (e.ErrorId == ErrorIds.LibvirtNotSupported)
        {
            return false;
        }
    }
}
