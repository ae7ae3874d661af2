using HeadlessVm.Core.CloudInit;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Libvirt;

/// <summary>
/// cloud-init seeds of libvirt VMs: made here by <see cref="CloudInitSeeds.Write"/> (cloud-localds, files in a 0700 folder),
/// then uploaded into a raw, 0600 volume named <c>INSTANCE-ID-cidata.iso</c> in the pool beside the VM's first disk (else
/// its kernel or ISO), which works for this machine's daemon and remote ones alike. A new instance id is a new volume, so
/// a changed seed is a whole new volume swapped in by redefining the domain, never a half-written one.
/// </summary>
public sealed partial class LibvirtBackend
{
    /// <summary>
    /// The folder (a pool's target on the host) that takes <paramref name="spec"/>'s seed: that of its first disk in an
    /// active pool, else of its kernel, initrd or ISO; CloudInitSeedNeedsPool (DiskNotInStoragePool) when none is.
    /// </summary>
    private string SeedFolder(string name, VmSpec spec)
    {
        var paths = spec.Disks.Select(d => d.Path).Concat(new[] { spec.KernelPath, spec.InitrdPath, spec.IsoPath }).OfType<string>().ToArray();
        foreach (var path in paths)
        {
            if (Path.GetDirectoryName(path) is { Length: > 0 } folder && _connection.FindPool(folder, name) is not null)
            {
                return folder;
            }
        }

        throw HeadlessVmErrors.CloudInitSeedNeedsPool(name, paths, HostName);
    }

    /// <summary>Makes the seed of <paramref name="config"/> locally and uploads it into <paramref name="folder"/>'s pool; returns its path on the host.</summary>
    private string UploadSeed(string name, CloudInitConfig config, string folder, CancellationToken cancellationToken)
    {
        // CreateTempSubdirectory makes the folder 0700 on Unix; the seed inside is 0600 and goes with the folder.
        var work = Directory.CreateTempSubdirectory("headlessvm-seed-");
        try
        {
            var files = new StatePaths.VmFiles(work.FullName);
            CloudInitSeeds.Write(name, files, config, _host, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var path = _connection.UploadVolume(folder, config.InstanceId + "-cidata.iso", files.CloudInitSeed, name);
            _host.Verbose($"Uploaded the cloud-init seed of VM '{name}' (instance id {config.InstanceId}) to '{path}' on {HostName}.");
            return path;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _host.Warning($"Could not remove the local cloud-init work folder '{work.FullName}': {e.Message}");
            }
        }
    }

    /// <summary>Deletes a seed volume the module made (nothing when it is gone); a failure is a warning, since what it cleans up after already happened or failed.</summary>
    private void DeleteSeed(string name, string? seed)
    {
        if (seed is null)
        {
            return;
        }

        try
        {
            _connection.DeleteVolume(seed, name);
            _host.Verbose($"Deleted the cloud-init seed '{seed}' of VM '{name}' on {HostName}.");
        }
        catch (HeadlessVmException e)
        {
            _host.Warning($"Could not delete the cloud-init seed '{seed}' of VM '{name}' on {HostName}: {e.Message}");
        }
    }
}
