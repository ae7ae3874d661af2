using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Tests;

/// <summary>The domains a test made on the bed's hosts, under names of its own: destroyed and undefined by name at the end.</summary>
public sealed class BedDomains : IDisposable
{
    private readonly HostBed _bed;
    private readonly List<(string Host, string Name)> _domains = new();

    public BedDomains(HostBed bed) => _bed = bed;

    /// <summary>A new name for a domain on <paramref name="hosts"/> (each gets one of that name), remembered for cleanup.</summary>
    public string Name(params string[] hosts)
    {
        var name = "hvm-rh-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var host in hosts)
        {
            _domains.Add((host, name));
        }

        return name;
    }

    /// <summary>Copies the test guest's kernel and initrd to the hosts' /var/lib/libvirt/images (once).</summary>
    public void CopyGuest(params string[] hosts)
    {
        foreach (var host in hosts)
        {
            foreach (var file in new[] { "vmlinuz", "initrd.img" })
            {
                var there = Path.Combine(_bed.Images(host), file);
                if (!File.Exists(there))
                {
                    File.Copy(Path.Combine(TestGuest.Directory, file), there);
                }
            }
        }
    }

    /// <summary>The domain's definition on a host as libvirt has it (its VNC port while it runs).</summary>
    public string Xml(string host, string name)
    {
        using var libvirt = LibvirtConnection.Open(_bed.Uri(host));
        return libvirt.GetXml(name, false);
    }

    public void Dispose()
    {
        foreach (var host in _domains.Select(d => d.Host).Distinct())
        {
            using var libvirt = LibvirtConnection.Open(_bed.Uri(host));
            foreach (var (_, name) in _domains.Where(d => d.Host == host && libvirt.Find(d.Name) is not null))
            {
                if (libvirt.GetState(name).State != LibvirtDomainState.Shutoff)
                {
                    libvirt.Destroy(name);
                }

                libvirt.Undefine(name);
            }
        }
    }
}
