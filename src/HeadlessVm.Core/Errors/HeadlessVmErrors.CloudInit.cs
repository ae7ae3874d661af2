namespace HeadlessVm.Core.Errors;

/// <summary>cloud-init errors (New-HeadlessVm -CloudInit); their target is the VM.</summary>
public static partial class HeadlessVmErrors
{
    /// <summary><paramref name="key"/> is the start of what was given, never more than 40 characters of it.</summary>
    public static HeadlessVmException InvalidSshPublicKey(string name, string key) => new(ErrorIds.InvalidSshPublicKey, FailureKind.InvalidArgument, name,
        $"VM '{name}': '{key}' is not an OpenSSH public key. Give the key line (ssh-ed25519 AAAA... comment) or the full path of its .pub file; never the private key.");

    public static HeadlessVmException InvalidGuestHostName(string name, string hostName) => new(ErrorIds.InvalidGuestHostName, FailureKind.InvalidArgument, name,
        $"VM '{name}': '{hostName}' is not a host name for the guest. Use letters, digits and '-', in labels joined by '.'.");

    public static HeadlessVmException CloudInitConflict(string name) => new(ErrorIds.CloudInitConflict, FailureKind.InvalidArgument, name,
        $"VM '{name}': -UserData is the whole user-data, so it cannot go with -UserName or -SshPublicKey. Put the user and keys in it, or leave it out (Set-HeadlessVm -UserData '' drops a VM's user-data).");

    /// <summary><paramref name="parameter"/> names the parameter ("SshPublicKey"), <paramref name="reason"/> is the file system's message.</summary>
    public static HeadlessVmException CloudInitFileUnreadable(string name, string parameter, string path, string reason) => new(ErrorIds.CloudInitFileUnreadable, FailureKind.ObjectNotFound, name,
        $"VM '{name}': -{parameter} names the file '{path}', which cannot be read: {reason}");

    /// <summary>cloud-localds refused; <paramref name="reason"/> is its own message.</summary>
    public static NativeCommandException CloudInitSeedFailed(string name, string reason, string program, int exitCode, string standardError) =>
        new(ErrorIds.CloudInitSeedFailed, FailureKind.InvalidOperation, name, $"cloud-localds could not make the cloud-init seed of VM '{name}': {reason}", program, exitCode, standardError);

    /// <summary>
    /// A libvirt VM's cloud-init seed needs a storage pool on <paramref name="host"/> to go in (the pool of its first disk, else of its
    /// kernel or ISO), and none of <paramref name="paths"/> is in one. The id is DiskNotInStoragePool's: the remedy is the same.
    /// </summary>
    public static HeadlessVmException CloudInitSeedNeedsPool(string name, IReadOnlyList<string> paths, string host) => new(ErrorIds.DiskNotInStoragePool, FailureKind.ObjectNotFound, name,
        (paths.Count == 0
            ? $"VM '{name}' has no disk, kernel or ISO on {host}, so there is no storage pool to put its cloud-init seed in. "
            : $"VM '{name}' has its disks, kernel and ISO ({string.Join(", ", paths.Select(p => $"'{p}'"))}) in no active storage pool on {host}, so its cloud-init seed cannot be put beside them. ") +
        $"Put its first disk in a pool's folder, or make that folder a pool (virsh pool-define-as NAME dir --target {(paths.Count == 0 ? "FOLDER" : Path.GetDirectoryName(paths[0]))}; virsh pool-start NAME). Nothing was made.");
}
