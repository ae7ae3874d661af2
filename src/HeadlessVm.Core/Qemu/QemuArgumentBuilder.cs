using System.Globalization;
using System.Net;
using HeadlessVm.Core.Model;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Qemu;

/// <summary>Turns a <see cref="VmSpec"/> into qemu's argv. Pure: no I/O, so tests assert on the list.</summary>
public static class QemuArgumentBuilder
{
    /// <summary>The id of the VM's user-mode netdev, which hostfwd_add and hostfwd_remove name.</summary>
    public const string NetdevId = "net0";

    /// <summary>The id of the VM's CD-ROM drive (its ISO), which QMP eject and blockdev-change-medium name.</summary>
    public const string CdromId = "cdrom0";

    /// <summary>The id of the CD-ROM drive that holds the VM's cloud-init seed.</summary>
    public const string CloudInitId = "cidata";

    public static string ProgramFor(string architecture) => "qemu-system-" + architecture;

    public static NativeCommand Build(VmSpec spec, StatePaths.VmFiles paths, AcceleratorKind accelerator, string cpu, bool paused = false)
    {
        if (accelerator == AcceleratorKind.Auto)
        {
            throw new ArgumentException("Resolve the accelerator before building the command line.", nameof(accelerator));
        }

        var a = new List<string>
        {
            "-name", $"guest={spec.Name}",
        };

        var machine = MachineDefaults.Machine(spec.Architecture);
        if (machine is not null)
        {
            a.AddRange(new[] { "-machine", machine });
        }

        a.AddRange(new[]
        {
            "-accel", accelerator == AcceleratorKind.Kvm ? "kvm" : "tcg",
            "-cpu", cpu,
            "-smp", spec.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            "-m", spec.MemoryMB.ToString(CultureInfo.InvariantCulture),
            "-display", "none",
            // password=on: the console always needs the VM's random VNC password, set over QMP after
            // start, so that it never appears on this command line.
            "-vnc", $"{VncHost(spec.ListenAddress)}:{spec.VncDisplay.ToString(CultureInfo.InvariantCulture)},password=on",
            "-chardev", $"socket,id=qmp,path={Escape(paths.QmpSocket)},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", $"file,id=serial0,path={Escape(paths.SerialLog)}",
            "-serial", "chardev:serial0",
        });

        if (spec.IsoPath is not null)
        {
            a.AddRange(new[] { "-drive", $"file={Escape(spec.IsoPath)},media=cdrom,readonly=on,id={CdromId}" });
        }

        if (spec.CloudInit is not null)
        {
            // The NoCloud seed: cloud-init looks for a filesystem labelled cidata on any disk.
            a.AddRange(new[] { "-drive", $"file={Escape(paths.CloudInitSeed)},media=cdrom,readonly=on,id={CloudInitId}" });
        }

        foreach (var disk in spec.Disks)
        {
            a.AddRange(new[] { "-drive", $"file={Escape(disk.Path)},format={disk.Format},if=virtio" });
        }

        if (spec.KernelPath is not null)
        {
            a.AddRange(new[] { "-kernel", spec.KernelPath });
            if (spec.InitrdPath is not null)
            {
                a.AddRange(new[] { "-initrd", spec.InitrdPath });
            }

            if (!string.IsNullOrEmpty(spec.KernelArgument))
            {
                a.AddRange(new[] { "-append", spec.KernelArgument });
            }
        }

        var boot = spec.BootOrder ?? MachineDefaults.BootOrder(spec.KernelPath is not null, spec.IsoPath is not null, spec.Disks.Count);
        if (boot is not null)
        {
            a.AddRange(new[] { "-boot", $"order={boot}" });
        }

        if (spec.Network == NetworkMode.None)
        {
            a.AddRange(new[] { "-nic", "none" });
        }
        else
        {
            var netdev = $"user,id={NetdevId}" + string.Concat(spec.PortForwards.Select(p =>
                $",hostfwd=tcp:{p.HostAddress}:{p.HostPort.ToString(CultureInfo.InvariantCulture)}-:{p.GuestPort.ToString(CultureInfo.InvariantCulture)}"));
            var device = $"virtio-net-pci,netdev={NetdevId}" + (spec.MacAddress is null ? string.Empty : $",mac={spec.MacAddress}");
            a.AddRange(new[] { "-netdev", netdev, "-device", device });
        }

        // Daemonized with a pidfile: qemu outlives the pwsh that started it, reports start-up errors
        // through its exit code before it detaches, and any later process finds it by the pidfile.
        if (paused)
        {
            // CPUs stay stopped until QMP "cont" (Resume-HeadlessVm); the VNC console is already served.
            a.Add("-S");
        }

        a.AddRange(new[] { "-pidfile", paths.PidFile, "-daemonize" });
        a.AddRange(spec.ExtraArguments);
        return new NativeCommand(ProgramFor(spec.Architecture), a);
    }

    /// <summary>qemu's option syntax uses ',' as a separator; a literal comma is written twice.</summary>
    public static string Escape(string value) => value.Replace(",", ",,");

    private static string VncHost(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]"
            : address;
}
