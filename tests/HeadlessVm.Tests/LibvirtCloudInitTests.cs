using System.Management.Automation;
using HeadlessVm.Core.Libvirt;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Tests;

/// <summary>
/// cloud-init on this machine's real libvirtd (qemu:///system): the seed is made here with cloud-localds and uploaded through
/// libvirt's storage API into a raw, 0600 volume in the pool beside the VM's kernel; the test guest mounts the cidata CD-ROM at
/// boot and prints what it found on its serial console. A VM with nothing in a pool is refused before anything is made;
/// Set-HeadlessVm swaps in a new seed volume with a new instance id (a running VM is refused); a copy gets its own; Remove
/// deletes them.
/// </summary>
[Collection("PowerShell")]
public sealed class LibvirtCloudInitTests : IDisposable
{
    private const string Uri = LibvirtDaemons.LocalUri;
    private const string UserData = "#cloud-config\nruncmd:\n  - echo HVM-MARKER-4711\n";

    private readonly LibvirtBed _bed;
    private PowerShellSession Ps => _bed.Ps;

    public LibvirtCloudInitTests(LibvirtDaemons daemons) => _bed = new LibvirtBed(daemons, "hvm-lci-");

    public void Dispose() => _bed.Dispose();

    private string Image(string file) => Path.Combine(_bed.Images, file);

    private string[] Seeds(string name) => Directory.GetFiles(_bed.Images, name + "-*-cidata.iso");

    [Fact]
    public void A_libvirt_VM_gets_a_private_seed_volume_its_guest_reads_at_boot_and_Set_Copy_and_Remove_keep_each_VM_its_own()
    {
        File.Copy(CloudInitTests.CidataInitrd(Ps), Image("cidata-initrd.img"));
        var vars = new Dictionary<string, object?>
        {
            ["kernel"] = Image("vmlinuz"),
            ["initrd"] = Image("cidata-initrd.img"),
            ["cmdline"] = TestGuest.KernelArguments + " rdinit=/cidata-init",
            ["ud"] = UserData,
        };
        var name = _bed.Name();
        string New(string n) => $"New-HeadlessVm {n} -ConnectionUri {Uri} -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd " +
            "-KernelArgument $cmdline -Network None -HostName seen-by-guest -UserData $ud";

        // No pool holds the kernel's folder yet (and the VM has no disk): refused, naming the remedy, and nothing is made.
        var error = Assert.Single(Ps.Run(New(name) + " -NoStart", vars).Errors);
        Assert.Equal(("DiskNotInStoragePool", (object)name, ErrorCategory.ObjectNotFound), (error.FullyQualifiedErrorId.Split(',')[0], error.TargetObject, error.CategoryInfo.Category));
        Assert.Contains("pool-define-as", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(Image("vmlinuz"), error.Exception.Message, StringComparison.Ordinal);
        Assert.Null(_bed.Libvirt.Find(name));
        Assert.Empty(Directory.GetFiles(_bed.Images, "*cidata.iso"));

        var pool = _bed.Pool(_bed.Images);
        Assert.Empty(Ps.Run(New(name), vars).Errors);
        Ps.Ok($"Wait-HeadlessVm {name} -ConnectionUri {Uri} -ForText '^{TestGuest.Ready}$' -TimeoutSec 240 | Out-Null");
        var serial = Ps.Ok($"Get-HeadlessVmSerialLog {name} -ConnectionUri {Uri}").Select(o => o.ToString()).ToArray();
        Assert.DoesNotContain(serial, l => l.StartsWith("HEADLESSVM-CIDATA-ERROR", StringComparison.Ordinal));
        Assert.Contains("HEADLESSVM-CIDATA-USER:   - echo HVM-MARKER-4711", serial);
        Assert.Contains("HEADLESSVM-CIDATA-META: local-hostname: \"seen-by-guest\"", serial);

        // The seed: a volume of the pool, 0600, handed to the qemu user when the domain starts (dynamic_ownership), on a read-only CD-ROM.
        var seed = Assert.Single(Seeds(name));
        Assert.Contains(Path.GetFileName(seed), LibvirtBed.Virsh("vol-list", pool), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(seed));
        Assert.Equal("libvirt-qemu", NativeTool.Run("stat", "-c", "%U", seed).Output.Trim());
        Assert.Equal(UserData, CloudInitTests.Extract(Ps, seed, "user-data"));
        var firstMeta = CloudInitTests.Extract(Ps, seed, "meta-data");
        var definition = DomainXml.Parse(_bed.Libvirt.GetXml(name, inactive: true), target: name);
        var cdrom = Assert.Single(definition.Disks, d => d.Source == seed);
        Assert.Equal(("cdrom", "sdb", true), (cdrom.Device, cdrom.Target, cdrom.ReadOnly));
        var vm = (VmInfo)Ps.Ok($"Get-HeadlessVm {name} -ConnectionUri {Uri}").Single().BaseObject;
        Assert.Null(vm.IsoPath);
        Assert.Equal(("seen-by-guest", seed), (definition.Metadata?.CloudInit?.HostName, definition.Metadata?.CloudInitSeed));

        // Running: a cloud-init change needs the VM stopped, and nothing changes.
        Ps.Refused($"Set-HeadlessVm {name} -ConnectionUri {Uri} -HostName other", "VmMustBeStopped", name, ErrorCategory.InvalidOperation);
        Assert.Equal(new[] { seed }, Seeds(name));

        Ps.Ok($"Stop-HeadlessVm {name} -ConnectionUri {Uri} -Force");
        // libvirt does not give a read-only image back when the domain stops (it restores labels of writable images only):
        // it stays the qemu user's, still 0600, so only root and libvirt-qemu read it.
        Assert.Equal("libvirt-qemu 600", NativeTool.Run("stat", "-c", "%U %a", seed).Output.Trim());
        Ps.Ok($"Set-HeadlessVm {name} -ConnectionUri {Uri} -HostName renamed-guest");
        var second = Assert.Single(Seeds(name));
        Assert.NotEqual(seed, second);
        Assert.False(File.Exists(seed));
        var secondMeta = CloudInitTests.Extract(Ps, second, "meta-data");
        Assert.Contains("local-hostname: \"renamed-guest\"", secondMeta, StringComparison.Ordinal);
        Assert.NotEqual(firstMeta.Split('\n')[0], secondMeta.Split('\n')[0]);
        Assert.StartsWith("instance-id: \"" + name + "-", secondMeta, StringComparison.Ordinal);
        Assert.Equal(UserData, CloudInitTests.Extract(Ps, second, "user-data"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(second));

        var copy = _bed.Name();
        Ps.Ok($"Copy-HeadlessVm {name} {copy} -ConnectionUri {Uri}");
        var copySeed = Assert.Single(Seeds(copy));
        Assert.StartsWith("instance-id: \"" + copy + "-", CloudInitTests.Extract(Ps, copySeed, "meta-data"), StringComparison.Ordinal);
        Assert.Equal(new[] { second }, Seeds(name));

        Ps.Ok($"Remove-HeadlessVm {name},{copy} -ConnectionUri {Uri} -Confirm:$false");
        Assert.Empty(Directory.GetFiles(_bed.Images, "*cidata.iso"));
        Assert.DoesNotContain("cidata.iso", LibvirtBed.Virsh("vol-list", pool), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cloud_init_VM_that_cannot_start_leaves_neither_its_domain_nor_its_seed_volume()
    {
        var pool = _bed.Pool(_bed.Images);
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var name = _bed.Name();

        // The seed is uploaded and the domain defined and started; the forward's host port is taken, so the start fails.
        var error = Assert.Single(Ps.Run($"New-HeadlessVm {name} -ConnectionUri {Uri} -Accelerator Tcg -MemoryMB 128 -KernelPath '{Image("vmlinuz")}' " +
            $"-InitrdPath '{Image("initrd.img")}' -PortForward '{port}:22' -UserName admin -HostName h1").Errors);
        Assert.Equal(("PortForwardFailed", (object)name), (error.FullyQualifiedErrorId.Split(',')[0], error.TargetObject));
        Assert.Contains("Uploaded the cloud-init seed", string.Join("\n", Ps.Run($"New-HeadlessVm {name} -ConnectionUri {Uri} -Accelerator Tcg -MemoryMB 128 " +
            $"-KernelPath '{Image("vmlinuz")}' -PortForward '{port}:22' -HostName h1 -Verbose").Verbose), StringComparison.Ordinal);
        Assert.Null(_bed.Libvirt.Find(name));
        Assert.Empty(Seeds(name));
        Assert.DoesNotContain("cidata.iso", LibvirtBed.Virsh("vol-list", pool), StringComparison.Ordinal);
    }
}
