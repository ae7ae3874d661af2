using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Tests;

/// <summary>
/// What a test of this machine's libvirtd (qemu:///system) needs and leaves nothing of: an open connection, a folder of its own
/// under /var/lib/libvirt/images (where the libvirt-qemu user can read it) holding the test guest's kernel and initrd, and the
/// names of the domains it makes. Dispose powers off and undefines each of them (with snapshot metadata, see
/// <see cref="LibvirtConnection.Undefine"/>), deletes their logs and the folder, and closes the connection.
/// </summary>
public sealed class SystemDomains : IDisposable
{
    private readonly List<string> _domains = new();

    /// <summary>Makes sure qemu:///system answers (see <see cref="LibvirtDaemons.EnsureLocal"/>), then opens it.</summary>
    public SystemDomains(LibvirtDaemons daemons)
    {
        daemons.EnsureLocal();
        Libvirt = LibvirtConnection.Open(LibvirtDaemons.LocalUri);
        Images = Directory.CreateDirectory(Path.Combine("/var/lib/libvirt/images", "hvm-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.Copy(TestGuest.Kernel, Path.Combine(Images, "vmlinuz"));
        File.Copy(TestGuest.Initrd, Path.Combine(Images, "initrd.img"));
    }

    /// <summary>The open connection to qemu:///system.</summary>
    public LibvirtConnection Libvirt { get; }

    /// <summary>The test's folder under /var/lib/libvirt/images, with vmlinuz and initrd.img.</summary>
    public string Images { get; }

    /// <summary>A new domain name, hvm-PREFIX-xxxxxx, to be removed at the end.</summary>
    public string Name(string prefix)
    {
        var name = $"hvm-{prefix}-" + Guid.NewGuid().ToString("N")[..6];
        _domains.Add(name);
        return name;
    }

    public void Dispose()
    {
        try
        {
            foreach (var name in _domains.Where(n => Libvirt.Find(n) is not null))
            {
                if (Libvirt.GetState(name).State != LibvirtDomainState.Shutoff)
                {
                    Libvirt.Destroy(name);
                }

                Libvirt.Undefine(name);
            }

            foreach (var name in _domains)
            {
                File.Delete($"/var/log/libvirt/qemu/{name}.log");
                File.Delete($"/var/log/libvirt/qemu/{name}-serial.log");
            }
        }
        finally
        {
            Libvirt.Dispose();
            Directory.Delete(Images, recursive: true);
        }
    }
}
