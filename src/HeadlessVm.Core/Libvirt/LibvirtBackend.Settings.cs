using System.Xml.Linq;
using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Qemu;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// Set-HeadlessVm and Rename-HeadlessVm on libvirt domains: the persistent definition read back
/// (<see cref="LibvirtDomainSpecs"/>), changed with New-HeadlessVm's checks, rebuilt and defined again; a running domain
/// takes its ISO and port forwards live, and nothing else.
/// </summary>
public sealed partial class LibvirtBackend
{
    /// <summary>
    /// Changes the domain, all or nothing. A stopped one: its definition is rebuilt (<see cref="DomainXml.Build"/>, keeping
    /// its UUID, VNC password, metadata and creation date) and defined again (virDomainDefineXMLFlags replaces it only once it
    /// has parsed and checked the new one); a new name is virDomainRename first, undone if the definition is refused. A running
    /// (or paused) one takes a new or no ISO (virDomainUpdateDeviceFlags, LIVE and CONFIG, on the CD-ROM it started with) and
    /// a new list of port forwards (hostfwd_remove and hostfwd_add through the monitor, then the metadata, LIVE and CONFIG);
    /// anything else is VmMustBeStopped before anything changes, and a live change that fails is undone with those made before it.
    /// VmIsExternal for a domain HeadlessVm did not create (its XML holds more than Build writes). New cloud-init data (a stopped
    /// VM only) is a new seed volume, uploaded whole before the domain is defined with it; the old one goes once that succeeded.
    /// Disk formats of added disks come from their names, as for New-HeadlessVm on a libvirt host (the host's files are libvirt's).
    /// </summary>
    public VmInfo Set(string name, VmChange change, CancellationToken cancellationToken)
    {
        var info = Info(name);
        var (domain, built, spec) = LibvirtDomainSpecs.Read(_connection.GetXml(name, secure: true, inactive: true), name);
        if (domain.ManagedBy == ManagedBy.External)
        {
            throw HeadlessVmErrors.VmIsExternal(name, HostName, "Set-HeadlessVm rebuilds a domain from what HeadlessVm wrote, and would lose what this one has besides. Change it with virsh edit.");
        }

        var next = VmDraftValidator.Apply(spec, change, path => DiskFormats.FromExtension(path) ?? "raw", _host, local: Location.IsThisMachine);
        foreach (var path in new[] { next.IsoPath, next.KernelPath, next.InitrdPath }.Concat(next.Disks.Select(d => d.Path)).OfType<string>())
        {
            if (!Path.IsPathRooted(path))
            {
                throw HeadlessVmErrors.PathNotAbsolute(name, path, HostName);
            }
        }

        if (next.VncDisplay != spec.VncDisplay && next.VncDisplay is < 0 or > DisplayAllocator.Highest)
        {
            throw HeadlessVmErrors.InvalidVncDisplay(name, next.VncDisplay, DisplayAllocator.Highest);
        }

        if (next.Name != name && Exists(next.Name))
        {
            throw HeadlessVmErrors.VmAlreadyExists(next.Name);
        }

        if (info.Status.State != LibvirtDomainState.Shutoff)
        {
            var offline = VmDraftValidator.NeedStop(spec, next);
            if (offline.Count > 0)
            {
                throw HeadlessVmErrors.VmMustBeStopped(name, string.Join(", ", offline));
            }

            ChangeLive(name, spec, next, cancellationToken);
            return Get(name);
        }

        var rebuilt = LibvirtDomainSpecs.With(built, next);
        var oldSeed = built.CloudInitSeedPath;
        string? newSeed = null;
        if (!ReferenceEquals(next.CloudInit, spec.CloudInit) && next.CloudInit is not null)
        {
            newSeed = UploadSeed(next.Name, next.CloudInit, SeedFolder(name, next), cancellationToken);
            rebuilt = rebuilt with { CloudInitSeedPath = newSeed };
        }

        try
        {
            if (next.Name == name)
            {
                _connection.Redefine(DomainXml.Build(rebuilt), name);
            }
            else
            {
                Rename(name, next.Name, rebuilt);
            }
        }
        catch
        {
            DeleteSeed(name, newSeed);
            throw;
        }

        if (newSeed is not null && oldSeed is not null && oldSeed != newSeed)
        {
            DeleteSeed(next.Name, oldSeed);
        }

        return Get(next.Name);
    }

    /// <summary>
    /// Renames a stopped domain (virDomainRename) and defines it with the rest of the change, its serial log under the new
    /// name when HeadlessVm chose the old one; the name goes back if the definition is refused. The old serial log on this
    /// machine follows, so Get-HeadlessVmSerialLog still shows the last boot.
    /// </summary>
    private void Rename(string name, string newName, LibvirtDomainSpec rebuilt)
    {
        var oldLog = DomainVms.SerialLogPathFor(Uri, name);
        var newLog = DomainVms.SerialLogPathFor(Uri, newName);
        var movesLog = oldLog is not null && rebuilt.SerialLogPath == oldLog;
        if (movesLog)
        {
            rebuilt = rebuilt with { SerialLogPath = newLog };
        }

        try
        {
            _connection.Rename(name, newName);
        }
        catch (HeadlessVmException e) when (e.ErrorId == ErrorIds.DomainStateInvalid)
        {
            // Started since it was read: libvirt renames only an inactive domain.
            throw HeadlessVmErrors.VmMustBeStopped(name, HeadlessVmErrors.RenameSetting);
        }

        try
        {
            _connection.Redefine(DomainXml.Build(rebuilt), newName);
        }
        catch
        {
            _connection.Rename(newName, name);
            throw;
        }

        _host.Verbose($"Renamed VM '{name}' on {HostName} to '{newName}'.");
        if (movesLog && Location.IsThisMachine && File.Exists(oldLog))
        {
            try
            {
                File.Move(oldLog!, newLog!, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _host.Warning($"VM '{newName}': its last serial log stays at '{oldLog}' ({e.Message}).");
            }
        }
    }

    /// <summary>Changes the ISO and the forwards of a running domain, then its metadata; what fails is undone, in reverse order.</summary>
    private void ChangeLive(string name, VmSpec spec, VmSpec next, CancellationToken cancellationToken)
    {
        var undo = new Stack<Action>();
        try
        {
            if (next.IsoPath != spec.IsoPath)
            {
                var live = DomainXml.Parse(_connection.GetXml(name), target: name);
                var cdrom = live.Disks.FirstOrDefault(d => d.Device == "cdrom" && !(live.Metadata?.CloudInitSeed is not null && d.Target == DomainXml.CloudInitTarget))
                    // Without an ISO at its start the domain has no CD-ROM drive to put one in; nothing changed yet.
                    ?? throw HeadlessVmErrors.VmMustBeStopped(name, "IsoPath (it started without an ISO, so it has no CD-ROM drive)");
                SetMedium(name, cdrom, next.IsoPath);
                undo.Push(() => SetMedium(name, cdrom, spec.IsoPath));
            }

            foreach (var gone in spec.PortForwards.Except(next.PortForwards))
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor(name, gone, HostForwardCommands.Remove(gone));
                undo.Push(() => Monitor(name, gone, HostForwardCommands.Add(gone)));
            }

            foreach (var added in next.PortForwards.Except(spec.PortForwards))
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor(name, added, HostForwardCommands.Add(added));
                undo.Push(() => Monitor(name, added, HostForwardCommands.Remove(added)));
            }

            if (!next.PortForwards.SequenceEqual(spec.PortForwards))
            {
                var kept = DomainXml.Parse(_connection.GetXml(name, inactive: true), target: name).Metadata;
                // libvirt puts the element and its children in the namespace itself, and refuses one that declares it already.
                var element = Unqualified(DomainMetadata.ToElement(new HeadlessVmDomainMetadata(
                    kept?.Created, next.PortForwards, kept?.MacAddressGenerated ?? false, kept?.CloudInit, kept?.CloudInitSeed)));
                _connection.SetMetadata(name, element.ToString(SaveOptions.DisableFormatting), DomainMetadata.Prefix, DomainMetadata.NamespaceUri, live: true, config: true);
            }
        }
        catch
        {
            while (undo.TryPop(out var back))
            {
                try
                {
                    back();
                }
                catch (HeadlessVmException ex)
                {
                    _host.Warning($"VM '{name}' on {HostName}: could not undo a live change after a failure: {ex.Message}");
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Puts <paramref name="iso"/> in the domain's CD-ROM drive, or ejects it (null), in the running domain and its definition
    /// (virDomainUpdateDeviceFlags with the drive's &lt;disk&gt; and a new or no &lt;source&gt;, LIVE | CONFIG). MediumChangeFailed
    /// with libvirt's (and so qemu's) own message when it refuses.
    /// </summary>
    private void SetMedium(string name, DomainDisk cdrom, string? iso)
    {
        var disk = new XElement(
            "disk",
            new XAttribute("type", "file"),
            new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            iso is null ? null : new XElement("source", new XAttribute("file", iso)),
            new XElement("target", new XAttribute("dev", cdrom.Target ?? "sda"), new XAttribute("bus", cdrom.Bus ?? "sata")),
            new XElement("readonly"));
        try
        {
            _connection.UpdateDevice(name, disk.ToString(), live: true, config: true);
        }
        catch (LibvirtException e) when (e.ErrorId is not (ErrorIds.HostConnectionLost or ErrorIds.LibvirtDomainNotFound))
        {
            throw HeadlessVmErrors.MediumChangeFailed(name, iso, e.Error?.Message ?? e.Message);
        }
    }

    private static XElement Unqualified(XElement element) => new(
        element.Name.LocalName,
        element.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name.LocalName, a.Value)),
        element.Elements().Select(Unqualified));

    /// <summary>Runs hostfwd_add or hostfwd_remove through the monitor (<see cref="HostForwardCommands.Check"/>).</summary>
    private void Monitor(string name, PortForward forward, string command) =>
        HostForwardCommands.Check(name, forward, command, _connection.QemuMonitorCommand(name, command, humanMonitor: true));
}
