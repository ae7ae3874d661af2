using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Tests;

/// <summary>
/// The error catalogue as a user meets it: every id in <see cref="ErrorIds"/> is raised through the cmdlet
/// that reports it, by real programs wherever one can show the failure (qemu, qemu-img, websockify, the
/// kernel), and the ErrorRecord carries that id, its category and its target. A new id without a row here
/// fails <see cref="Every_id_in_the_catalogue_has_a_row_here"/>.
/// </summary>
[Collection("PowerShell")]
public sealed class ErrorCatalogueTests : IClassFixture<ErrorLab>
{
    private readonly ErrorLab _lab;

    public ErrorCatalogueTests(ErrorLab lab, LibvirtDaemons daemons)
    {
        _lab = lab;
        _lab.Daemons = daemons;
    }

    /// <summary>
    /// Ids no cmdlet can be made to raise here, each listed with the reason and where it is proven instead
    /// (<see cref="ErrorIdsProvenElsewhere"/>: the core-level libvirt table, which must have a row for each of
    /// its ids, or a named test). Keep it to failures that truly cannot be brought about here through a cmdlet.
    /// </summary>
    public static IReadOnlySet<string> Unreachable { get; } = ErrorIdsProvenElsewhere.All.ToHashSet();

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in ErrorRows.All.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_error_id_is_raised_through_its_cmdlet_with_its_category_and_target(string id)
    {
        var row = ErrorRows.All[id];
        var raised = row.Raise(_lab);
        var error = raised.Count == 1
            ? raised[0]
            : throw new Xunit.Sdk.XunitException($"expected one {id} error, got {raised.Count}:\n  " + string.Join("\n  ", raised));
        Assert.True(error.Id == id, $"expected {id}, got {error}");
        Assert.Equal(row.Category, error.Category);
        Assert.Equal(row.Target(_lab), error.Target);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Every_id_in_the_catalogue_has_a_row_here()
    {
        var catalogue = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var missing = catalogue.Where(id => !ErrorRows.All.ContainsKey(id) && !Unreachable.Contains(id)).Order(StringComparer.Ordinal).ToList();
        var unknown = ErrorRows.All.Keys.Concat(Unreachable).Where(id => !catalogue.Contains(id)).ToList();
        Assert.True(missing.Count == 0, "ids in ErrorIds with no row in ErrorRows (add one that raises it through a cmdlet): " + string.Join(", ", missing));
        Assert.True(unknown.Count == 0, "rows for ids that are not in ErrorIds: " + string.Join(", ", unknown));
        Assert.Empty(ErrorRows.All.Keys.Intersect(Unreachable));
    }
}

/// <summary>One id: how to raise it through a cmdlet, and the category and target its ErrorRecord must carry.</summary>
public sealed record ErrorRow(ErrorCategory Category, Func<ErrorLab, string> Target, Func<ErrorLab, IReadOnlyList<RaisedError>> Raise);

/// <summary>The rows of <see cref="ErrorCatalogueTests"/>, by id.</summary>
public static class ErrorRows
{
    private const ErrorCategory InvalidArgument = ErrorCategory.InvalidArgument;

    public static readonly IReadOnlyDictionary<string, ErrorRow> All = new Dictionary<string, ErrorRow>
    {
        // A VM's definition.
        [ErrorIds.InvalidVmName] = Script(InvalidArgument, "a;b", "New-HeadlessVm 'a;b' -NoStart"),
        [ErrorIds.InvalidMemorySize] = Script(InvalidArgument, "e-mem", "New-HeadlessVm e-mem -NoStart -MemoryMB 8"),
        [ErrorIds.InvalidProcessorCount] = Script(InvalidArgument, "e-cpus", "New-HeadlessVm e-cpus -NoStart -ProcessorCount 0"),
        [ErrorIds.InvalidArchitecture] = Script(InvalidArgument, "e-arch", "New-HeadlessVm e-arch -NoStart -Architecture x86-64"),
        [ErrorIds.InitrdWithoutKernel] = Script(InvalidArgument, "e-initrd", "New-HeadlessVm e-initrd -NoStart -InitrdPath ./initrd.img"),
        [ErrorIds.InvalidBootOrder] = Script(InvalidArgument, "e-boot", "New-HeadlessVm e-boot -NoStart -BootOrder xyz"),
        [ErrorIds.InvalidPortForward] = Script(InvalidArgument, "e-pf", "New-HeadlessVm e-pf -NoStart -PortForward nonsense"),
        [ErrorIds.PortForwardWithoutNetwork] = Script(InvalidArgument, "e-pfnet", "New-HeadlessVm e-pfnet -NoStart -Network None -PortForward 8080:80"),
        [ErrorIds.DuplicatePortForward] = Script(InvalidArgument, "e-pfdup", "New-HeadlessVm e-pfdup -NoStart -PortForward 8080:80, 8080:81"),
        [ErrorIds.InvalidMacAddress] = Script(InvalidArgument, "e-mac", "New-HeadlessVm e-mac -NoStart -MacAddress 01:00:5e:00:00:01"),
        [ErrorIds.InvalidListenAddress] = Script(InvalidArgument, "e-listen", "New-HeadlessVm e-listen -NoStart -ListenAddress localhost"),
        [ErrorIds.DiskFormatCountMismatch] = Script(InvalidArgument, "e-formats", "New-HeadlessVm e-formats -NoStart -DiskPath a.qcow2, b.qcow2 -DiskFormat qcow2, raw, raw"),
        [ErrorIds.UnknownDiskFormat] = Script(InvalidArgument, lab => lab.WorkFile("d.qcow2"), "New-HeadlessVm e-fmt -NoStart -DiskPath ./d.qcow2 -DiskFormat floppy"),
        [ErrorIds.DiskFormatUnknown] = Row(InvalidArgument, lab => lab.WorkFile("d.bin"), lab =>
        {
            // Content qemu-img knows no format in (it says raw), under a name that does not say raw: raw is never guessed.
            File.WriteAllBytes(lab.WorkFile("d.bin"), new byte[64 * 1024]);
            return Run(lab, "New-HeadlessVm e-fmt -NoStart -DiskPath ./d.bin");
        }),
        [ErrorIds.BootFileNotFound] = Script(ErrorCategory.ObjectNotFound, "e-kernel", "New-HeadlessVm e-kernel -NoStart -KernelPath ./no-such-kernel"),
        // Write-only even for root: the tests may run as root, whom no mode bits of an ordinary file stop.
        [ErrorIds.BootFileUnreadable] = Script(ErrorCategory.PermissionDenied, "e-kernel-denied", "New-HeadlessVm e-kernel-denied -NoStart -KernelPath /proc/sys/vm/compact_memory"),
        [ErrorIds.NoStartWithPaused] = Script(InvalidArgument, "e-nsp", "New-HeadlessVm e-nsp -NoStart -Paused"),
        [ErrorIds.NotAnIsoImage] = Row(InvalidArgument, _ => "e-noiso", lab =>
        {
            // 64 KiB of zeros: long enough to hold a volume descriptor at sector 16, and none there.
            File.WriteAllBytes(lab.WorkFile("zeros.iso"), new byte[64 * 1024]);
            return Run(lab, "New-HeadlessVm e-noiso -NoStart -IsoPath ./zeros.iso");
        }),

        // The state store.
        [ErrorIds.VmNotFound] = Script(ErrorCategory.ObjectNotFound, "e-nosuch", "Get-HeadlessVm e-nosuch"),
        [ErrorIds.VmAlreadyExists] = Row(ErrorCategory.ResourceExists, _ => ErrorLab.StoppedVm, lab => Run(lab, $"New-HeadlessVm {lab.Stopped} -NoStart")),
        [ErrorIds.VmRecordDamaged] = Row(ErrorCategory.InvalidData, _ => "e-corrupt", lab =>
        {
            lab.Session.Ok("New-HeadlessVm e-corrupt -NoStart | Out-Null");
            var record = lab.Session.Paths.ForVm("e-corrupt");
            File.WriteAllText(Path.Combine(record.Folder, "vm.json"), "{");
            try
            {
                return Run(lab, "Get-HeadlessVm e-corrupt");
            }
            finally
            {
                Directory.Delete(record.Folder, recursive: true);
            }
        }),
        [ErrorIds.StatePathTooLong] = Row(InvalidArgument, _ => LongName, lab =>
        {
            // A store deep enough that the QMP socket path of a 40-character name passes the kernel's 107.
            var deep = Directory.CreateDirectory(Path.Combine(lab.Session.StateRoot, "a-state-folder-deep-enough-for-a-long-socket-path")).FullName;
            return Run(lab, $"$env:HEADLESSVM_HOME = '{deep}'; try {{ New-HeadlessVm {LongName} -MemoryMB 64 -Network None -Accelerator Tcg }} finally {{ $env:HEADLESSVM_HOME = '{lab.Session.StateRoot}' }}");
        }),
        [ErrorIds.StateFolderUnusable] = Row(ErrorCategory.WriteError, _ => "e-unusable", lab =>
        {
            // HEADLESSVM_HOME naming a file: nothing can be made under it.
            var file = lab.WorkFile("not-a-folder");
            File.WriteAllText(file, string.Empty);
            return Run(lab, $"$env:HEADLESSVM_HOME = '{file}'; try {{ New-HeadlessVm e-unusable -NoStart }} finally {{ $env:HEADLESSVM_HOME = '{lab.Session.StateRoot}' }}");
        }),
        [ErrorIds.PathNotInFileSystem] = Row(InvalidArgument, _ => "e-env.qcow2", lab =>
            Run(lab, $"try {{ Set-Location Env:; New-HeadlessVmDisk e-env.qcow2 -SizeGB 1 }} finally {{ Set-Location '{lab.Work}' }}")),
        [ErrorIds.StateLocked] = Row(ErrorCategory.ResourceBusy, _ => "e-locked", lab =>
        {
            // The store's lock held by another open file (flock(2) locks belong to the open file, so this process's
            // own hold counts as another holder's): the command waits its bounded minute, then names the holder.
            using var held = new FileStream(lab.Session.Paths.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return Run(lab, "New-HeadlessVm e-locked -NoStart");
        }),
        // A file the module writes itself (a libvirt VM's screenshot, which comes through the connection), where
        // the kernel refuses it: /sys denies the create, /proc has no such entry.
        [ErrorIds.StateAccessDenied] = Script(ErrorCategory.PermissionDenied, "test", "Save-VmScreenshot test -ConnectionUri test:///default -Path /sys/hvm-screen.png"),
        [ErrorIds.StateIOError] = Script(ErrorCategory.WriteError, "test", "Save-VmScreenshot test -ConnectionUri test:///default -Path /proc/hvm-screen.png"),

        // VNC displays and forwarded ports.
        [ErrorIds.NoFreeVncDisplay] = Row(ErrorCategory.ResourceUnavailable, _ => "e-full", lab =>
        {
            // A store of its own with every display from :1 to :99 assigned (on an address of its own, whose ports are all free).
            var store = Directory.CreateDirectory(Path.Combine(lab.Session.StateRoot, "full-store")).FullName;
            var address = FreePorts.PrivateLoopbackAddress();
            return Run(lab, $"$env:HEADLESSVM_HOME = '{store}'; try {{ " +
                $"1..99 | ForEach-Object {{ [pscustomobject]@{{ Name = \"f$_\"; ListenAddress = '{address}' }} }} | New-HeadlessVm -NoStart -ErrorAction SilentlyContinue | Out-Null; " +
                $"New-HeadlessVm e-full -NoStart -ListenAddress {address} }} finally {{ $env:HEADLESSVM_HOME = '{lab.Session.StateRoot}' }}");
        }),
        [ErrorIds.InvalidVncDisplay] = Script(InvalidArgument, "e-disp", "New-HeadlessVm e-disp -NoStart -VncDisplay 70000"),
        [ErrorIds.VncDisplayInUse] = Row(ErrorCategory.ResourceExists, _ => "e-taken", lab =>
            Run(lab, $"New-HeadlessVm e-taken -NoStart -VncDisplay (Get-HeadlessVm {lab.Stopped}).VncDisplay")),
        [ErrorIds.VncPortInUse] = Row(ErrorCategory.ResourceUnavailable, _ => "e-vncport", lab =>
        {
            // Display :97 (no VM of the lab has it: they are picked from :1) on an address of its own, its port held.
            var address = FreePorts.PrivateLoopbackAddress();
            using var holder = Listen(address, 5997);
            return Run(lab, $"New-HeadlessVm e-vncport -NoStart -ListenAddress {address} -VncDisplay 97");
        }),
        [ErrorIds.PortForwardInUse] = Row(ErrorCategory.ResourceUnavailable, _ => "e-fwd", lab =>
        {
            using var holder = Listen("127.0.0.1", 0);
            return Run(lab, $"New-HeadlessVm e-fwd -MemoryMB 64 -Accelerator Tcg -PortForward '{((IPEndPoint)holder.LocalEndpoint).Port}:80'");
        }),
        [ErrorIds.DiskInUse] = Row(ErrorCategory.ResourceBusy, _ => "e-shared", lab =>
        {
            // A VM recreated beside its running original, on the disk image the original's qemu writes.
            lab.Session.Ok("New-HeadlessVmDisk ./shared.qcow2 -SizeGB 1 | Out-Null; New-HeadlessVm e-holder -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./shared.qcow2 -Paused | Out-Null");
            try
            {
                return Run(lab, "New-HeadlessVm e-shared -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./shared.qcow2");
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-holder -Force");
            }
        }),

        // Starting qemu.
        [ErrorIds.ProgramTimedOut] = Row(ErrorCategory.OperationTimeout, _ => "qemu-img", lab =>
        {
            // What no real qemu-img does on cue: never answer. It is stopped at the module's bounded wait (a minute).
            File.WriteAllText(lab.WorkFile("slow.qcow2"), string.Empty);
            lab.FakeProgram("qemu-img", "exec sleep 600");
            return Errors(lab.WithPath(lab.FakesFirst, "Get-HeadlessVmDisk ./slow.qcow2"));
        }),
        [ErrorIds.ProgramNotFound] = Row(ErrorCategory.NotInstalled, _ => "qemu-img", lab =>
            Errors(lab.WithPath(lab.Empty, "New-HeadlessVmDisk ./no-qemu-img.qcow2 -SizeGB 1"))),
        [ErrorIds.QemuNotInstalled] = Row(ErrorCategory.NotInstalled, _ => "e-noqemu", lab =>
            Errors(lab.WithPath(lab.Empty, "New-HeadlessVm e-noqemu -MemoryMB 64 -Accelerator Tcg"))),
        [ErrorIds.KvmUnavailable] = Script(ErrorCategory.ResourceUnavailable, "e-kvm",
            "$env:HEADLESSVM_KVM_DEVICE = '/nonexistent/kvm'; try { New-HeadlessVm e-kvm -MemoryMB 64 -Accelerator Kvm } finally { $env:HEADLESSVM_KVM_DEVICE = $null }"),
        [ErrorIds.QemuUnknownCpuModel] = Script(InvalidArgument, "e-cpumodel", "New-HeadlessVm e-cpumodel -MemoryMB 64 -Accelerator Tcg -Cpu no-such-cpu"),
        [ErrorIds.QemuFileNotFound] = Row(ErrorCategory.ObjectNotFound, _ => "e-iso", lab =>
        {
            // An ISO that was there when it was given, and has gone by the start.
            File.Copy(TestGuest.Iso, lab.WorkFile("gone.iso"), overwrite: true);
            lab.Session.Ok("New-HeadlessVm e-iso -MemoryMB 64 -Accelerator Tcg -NoStart -IsoPath ./gone.iso | Out-Null");
            File.Delete(lab.WorkFile("gone.iso"));
            return Run(lab, "Start-HeadlessVm e-iso");
        }),
        [ErrorIds.QemuPermissionDenied] = Row(ErrorCategory.PermissionDenied, _ => "e-denied-disk", lab =>
        {
            // A disk image its qemu may not read: mode 0000, and qemu without root's right to read anything.
            var disk = lab.WorkFile("unreadable.img");
            File.WriteAllBytes(disk, new byte[1024 * 1024]);
            File.SetUnixFileMode(disk, UnixFileMode.None);
            lab.FakeProgram("qemu-system-x86_64", $"exec {string.Join(' ', ErrorLab.WithoutFileOverride)} {ErrorLab.RealQemu} \"$@\"");
            return Errors(lab.WithPath(lab.FakesFirst, "New-HeadlessVm e-denied-disk -MemoryMB 64 -Accelerator Tcg -DiskPath ./unreadable.img -DiskFormat raw"));
        }),
        [ErrorIds.QemuPortInUse] = Row(ErrorCategory.ResourceUnavailable, _ => "e-chardev", lab =>
        {
            // A socket the VM's extra arguments ask qemu to listen on, which another program holds.
            using var holder = Listen("127.0.0.1", 0);
            var port = ((IPEndPoint)holder.LocalEndpoint).Port;
            return Run(lab, $"New-HeadlessVm e-chardev -MemoryMB 64 -Accelerator Tcg -ExtraArgument '-chardev', 'socket,id=busy,host=127.0.0.1,port={port},server=on,wait=off'");
        }),
        [ErrorIds.QemuCannotOpenFile] = Row(ErrorCategory.ObjectNotFound, _ => "e-backing", lab =>
        {
            // A clone whose backing image is damaged (a qcow2 header of a version qemu does not know).
            File.WriteAllBytes(lab.WorkFile("damaged.qcow2"), DamagedQcow2);
            var made = BoundedProcess.Run("qemu-img", ["create", "-f", "qcow2", "-u", "-b", lab.WorkFile("damaged.qcow2"), "-F", "qcow2", lab.WorkFile("clone.qcow2"), "16M"], TimeSpan.FromMinutes(1));
            Assert.True(made.ExitCode == 0, made.Output);
            return Run(lab, "New-HeadlessVm e-backing -MemoryMB 64 -Accelerator Tcg -DiskPath ./clone.qcow2");
        }),
        [ErrorIds.QemuDiskLocked] = Row(ErrorCategory.ResourceBusy, _ => "e-locked", lab =>
        {
            // The image is written by a qemu this store does not know (a VM of another state folder): qemu's own lock refuses it.
            var other = lab.WorkFile("other-store");
            var here = $"$env:HEADLESSVM_HOME = '{lab.Session.StateRoot}'";
            lab.Session.Ok($"New-HeadlessVmDisk ./locked.qcow2 -SizeGB 1 | Out-Null; $env:HEADLESSVM_HOME = '{other}'; " +
                $"try {{ New-HeadlessVm e-other -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./locked.qcow2 -Paused | Out-Null }} finally {{ {here} }}");
            try
            {
                return Run(lab, "New-HeadlessVm e-locked -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./locked.qcow2");
            }
            finally
            {
                lab.Session.Ok($"$env:HEADLESSVM_HOME = '{other}'; try {{ Remove-HeadlessVm e-other -Force }} finally {{ {here} }}");
            }
        }),
        [ErrorIds.QemuStartFailed] = Script(InvalidArgument, "e-option", "New-HeadlessVm e-option -MemoryMB 64 -Accelerator Tcg -ExtraArgument '-no-such-option'"),
        [ErrorIds.QemuExitedEarly] = Row(ErrorCategory.InvalidOperation, _ => "e-early", lab =>
        {
            // The crash on cue: the real qemu starts and daemonizes, and dies before the module finds it.
            lab.FakeProgram("qemu-system-x86_64", $$"""
                {{ErrorLab.RealQemu}} "$@" || exit $?
                prev=
                for a in "$@"; do [ "$prev" = -pidfile ] && pidfile=$a; prev=$a; done
                pid=$(cat "$pidfile")
                kill -9 "$pid"
                # Gone, or a zombie with no other thread left, before the module looks (as ProcessInfo.IsAlive judges): at most 10 s.
                i=0
                while [ -e "/proc/$pid" ] && [ "$i" -lt 200 ]; do
                  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
                  [ "$state" = Z ] && [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -le 1 ] && break
                  sleep 0.05; i=$((i + 1))
                done
                """);
            return Errors(lab.WithPath(lab.FakesFirst, "New-HeadlessVm e-early -MemoryMB 64 -Accelerator Tcg -Network None"));
        }),

        // A running VM.
        [ErrorIds.VmNotRunning] = Row(ErrorCategory.InvalidOperation, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Suspend-HeadlessVm {lab.Stopped}")),
        [ErrorIds.VmIsRunning] = Row(ErrorCategory.InvalidOperation, _ => ErrorLab.RunningVm, lab => Run(lab, $"Remove-HeadlessVm {lab.Running}")),
        [ErrorIds.QmpUnavailable] = Row(ErrorCategory.ConnectionError, _ => "e-noqmp", lab =>
        {
            // qemu lives on, but its QMP socket is gone.
            lab.Session.Ok("New-HeadlessVm e-noqmp -MemoryMB 64 -Network None -Accelerator Tcg -Paused | Out-Null");
            File.Delete(lab.Session.Paths.ForVm("e-noqmp").QmpSocket);
            try
            {
                return Run(lab, "Suspend-HeadlessVm e-noqmp");
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-noqmp -Force -WarningAction SilentlyContinue");
            }
        }),
        [ErrorIds.QmpCommandFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-reset", lab =>
        {
            // No bootable device: SeaBIOS resets at once (reboot-timeout=0), -no-reboot turns the guest's reset into a
            // shutdown, and -no-shutdown keeps qemu in its "shutdown" state (Crashed here), where it refuses 'cont'
            // ("Resetting the Virtual Machine is required").
            lab.Session.Ok("New-HeadlessVm e-reset -MemoryMB 64 -Network None -Accelerator Tcg -ExtraArgument '-no-reboot', '-no-shutdown', '-boot', 'reboot-timeout=0' | Out-Null");
            try
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (lab.Session.Ok("(Get-HeadlessVm e-reset).State").Single().ToString() != "Crashed")
                {
                    Assert.True(DateTime.UtcNow < deadline, "the guest's reset did not shut it down within 60 s");
                    Thread.Sleep(100);
                }

                return Run(lab, "Resume-HeadlessVm e-reset");
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-reset -Force");
            }
        }),
        [ErrorIds.InvalidWaitState] = Row(InvalidArgument, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Wait-HeadlessVm {lab.Stopped} -For Crashed -TimeoutSec 1")),
        [ErrorIds.VmStateWaitTimeout] = Row(ErrorCategory.OperationTimeout, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Wait-HeadlessVm {lab.Stopped} -For Running -TimeoutSec 1")),
        [ErrorIds.SerialTextWaitTimeout] = Row(ErrorCategory.OperationTimeout, _ => ErrorLab.RunningVm, lab => Run(lab, $"Wait-HeadlessVm {lab.Running} -ForText 'never printed' -TimeoutSec 1")),
        [ErrorIds.InvalidRegex] = Row(InvalidArgument, _ => "(", lab => Run(lab, $"Wait-HeadlessVm {lab.Running} -ForText '(' -TimeoutSec 1")),
        [ErrorIds.UnknownKeyName] = Row(InvalidArgument, _ => "ctrl-nokey", lab => Run(lab, $"Send-HeadlessVmKey {lab.Running} -Key ctrl-nokey")),
        [ErrorIds.UnsupportedTextCharacter] = Row(InvalidArgument, _ => "é", lab => Run(lab, $"Send-HeadlessVmKey {lab.Running} -Text 'café'")),
        [ErrorIds.ScreenshotFolderNotFound] = Row(ErrorCategory.ObjectNotFound, _ => ErrorLab.RunningVm, lab => Run(lab, $"Save-VmScreenshot {lab.Running} -Path ./no-folder/screen.png")),
        [ErrorIds.ScreenshotFileExists] = Row(ErrorCategory.ResourceExists, _ => ErrorLab.RunningVm, lab =>
        {
            File.WriteAllText(lab.WorkFile("taken.png"), "not mine");
            return Run(lab, $"Save-VmScreenshot {lab.Running} -Path ./taken.png");
        }),
        // qemu cannot create a file in /proc, whoever it runs as.
        [ErrorIds.ScreenshotFailed] = Row(ErrorCategory.InvalidOperation, _ => ErrorLab.RunningVm, lab => Run(lab, $"Save-VmScreenshot {lab.Running} -Path /proc/hvm-screen.png")),

        // Disk images.
        [ErrorIds.DiskNotFound] = Script(ErrorCategory.ObjectNotFound, lab => lab.WorkFile("none.qcow2"), "Get-HeadlessVmDisk ./none.qcow2"),
        [ErrorIds.DiskExists] = Row(ErrorCategory.ResourceExists, lab => lab.WorkFile("exists.qcow2"), lab =>
        {
            File.WriteAllText(lab.WorkFile("exists.qcow2"), "precious");
            return Run(lab, "New-HeadlessVmDisk ./exists.qcow2 -SizeGB 1");
        }),
        [ErrorIds.DiskSizeRequired] = Script(InvalidArgument, lab => lab.WorkFile("nosize.qcow2"), "New-HeadlessVmDisk ./nosize.qcow2"),
        [ErrorIds.InvalidDiskSize] = Script(InvalidArgument, lab => lab.WorkFile("negative.qcow2"), "New-HeadlessVmDisk ./negative.qcow2 -SizeGB -1"),
        [ErrorIds.DiskIsOwnBacking] = Script(InvalidArgument, lab => lab.WorkFile("own.qcow2"), "New-HeadlessVmDisk ./own.qcow2 -BackingPath ./own.qcow2"),
        [ErrorIds.QemuImgCreateFailed] = Script(InvalidArgument, lab => lab.WorkFile("huge.vhd"), "New-HeadlessVmDisk ./huge.vhd -SizeGB 3000"),
        [ErrorIds.QemuImgInfoFailed] = Row(ErrorCategory.InvalidOperation, lab => lab.WorkFile("damaged-info.qcow2"), lab =>
        {
            File.WriteAllBytes(lab.WorkFile("damaged-info.qcow2"), DamagedQcow2);
            return Run(lab, "Get-HeadlessVmDisk ./damaged-info.qcow2");
        }),
        [ErrorIds.QemuImgOutputUnreadable] = Row(ErrorCategory.InvalidOperation, lab => lab.WorkFile("any.qcow2"), lab =>
        {
            // What no real qemu-img prints on cue: something that is not its JSON.
            File.WriteAllText(lab.WorkFile("any.qcow2"), string.Empty);
            lab.FakeProgram("qemu-img", "echo 'this is not JSON'");
            return Errors(lab.WithPath(lab.FakesFirst, "Get-HeadlessVmDisk ./any.qcow2"));
        }),

        // Checkpoints, settings, copies and cloud-init (issue 14).
        // libvirt copies only a domain's disks as they are, not from one of its checkpoints.
        [ErrorIds.NotSupportedOnHost] = Script(ErrorCategory.NotImplemented, "localhost",
            "New-HeadlessVm e-nsoh -ConnectionUri test:///default -MemoryMB 64 -NoStart | Out-Null; " +
            "try { Copy-HeadlessVm e-nsoh e-nsoh2 -ConnectionUri test:///default -SnapshotName before } finally { Remove-HeadlessVm e-nsoh -ConnectionUri test:///default -Confirm:$false }"),
        [ErrorIds.InvalidSnapshotName] = Row(InvalidArgument, _ => SnapVm, lab => Run(lab, $"Checkpoint-HeadlessVm {Snap(lab)} 123")),
        [ErrorIds.SnapshotExists] = Row(ErrorCategory.ResourceExists, _ => SnapVm, lab =>
        {
            var vm = Snap(lab);
            if (lab.Session.Run($"Get-HeadlessVmSnapshot {vm} taken").Errors.Count > 0)
            {
                lab.Session.Ok($"Checkpoint-HeadlessVm {vm} taken | Out-Null");
            }

            return Run(lab, $"Checkpoint-HeadlessVm {vm} taken");
        }),
        [ErrorIds.SnapshotNotFound] = Row(ErrorCategory.ObjectNotFound, _ => SnapVm, lab => Run(lab, $"Restore-HeadlessVmSnapshot {Snap(lab)} nosuch -Confirm:$false")),
        [ErrorIds.NoSnapshotDisk] = Row(ErrorCategory.InvalidOperation, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Checkpoint-HeadlessVm {lab.Stopped}")),
        [ErrorIds.DiskCannotSnapshot] = Row(ErrorCategory.InvalidOperation, _ => "e-rawsnap", lab =>
        {
            lab.Session.Ok("New-HeadlessVmDisk ./e-rawsnap.img -Format raw -SizeGB 0.1 | Out-Null; New-HeadlessVm e-rawsnap -MemoryMB 64 -DiskPath ./e-rawsnap.img -NoStart | Out-Null");
            return Run(lab, "Checkpoint-HeadlessVm e-rawsnap");
        }),
        [ErrorIds.SnapshotIncomplete] = Row(ErrorCategory.InvalidOperation, _ => "e-incomplete", lab =>
        {
            // A second disk that lost the checkpoint since (deleted by qemu-img itself): the restore refuses before any disk changes.
            lab.Session.Ok("New-HeadlessVmDisk ./e-inc1.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVmDisk ./e-inc2.qcow2 -SizeGB 0.1 | Out-Null; " +
                "New-HeadlessVm e-incomplete -MemoryMB 64 -DiskPath ./e-inc1.qcow2, ./e-inc2.qcow2 -NoStart | Out-Null; Checkpoint-HeadlessVm e-incomplete one | Out-Null");
            Assert.Equal(0, NativeTool.Run("qemu-img", "snapshot", "-d", "one", lab.WorkFile("e-inc2.qcow2")).ExitCode);
            return Run(lab, "Restore-HeadlessVmSnapshot e-incomplete one -Confirm:$false");
        }),
        [ErrorIds.SnapshotWithoutMemory] = Row(ErrorCategory.InvalidOperation, _ => "e-warm", lab =>
        {
            // A disks-only checkpoint (taken while stopped) cannot be loaded under a running guest.
            lab.Session.Ok("New-HeadlessVmDisk ./e-warm.qcow2 -SizeGB 0.1 | Out-Null; " +
                "New-HeadlessVm e-warm -MemoryMB 64 -Network None -Accelerator Tcg -DiskPath ./e-warm.qcow2 -NoStart | Out-Null; " +
                "Checkpoint-HeadlessVm e-warm cold | Out-Null; Start-HeadlessVm e-warm");
            try
            {
                return Run(lab, "Restore-HeadlessVmSnapshot e-warm cold -Confirm:$false");
            }
            finally
            {
                lab.Session.Ok("Stop-HeadlessVm e-warm -Force");
            }
        }),
        [ErrorIds.SnapshotJobFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-nvme", lab =>
        {
            // An NVMe controller, which qemu cannot save (its state is marked unmigratable): qemu's snapshot-save job ends
            // with "State blocked by non-migratable device", after every check of the module passed.
            lab.Session.Ok("New-HeadlessVmDisk ./e-nvme.qcow2 -SizeGB 0.1 | Out-Null; " +
                "New-HeadlessVm e-nvme -MemoryMB 64 -Network None -Accelerator Tcg -Paused -DiskPath ./e-nvme.qcow2 -ExtraArgument '-device', 'nvme,serial=hvm-blocker' | Out-Null");
            try
            {
                var raised = Run(lab, "Checkpoint-HeadlessVm e-nvme blocked -Description 'never made'");
                Assert.Empty(lab.Session.Ok("Get-HeadlessVmSnapshot e-nvme"));
                var notes = lab.Session.Paths.ForVm("e-nvme").SnapshotNotesFile;
                Assert.False(File.Exists(notes) && File.ReadAllText(notes).Contains("never made"), "the failed checkpoint's description stayed behind");
                return raised;
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-nvme -Force");
            }
        }),
        [ErrorIds.SnapshotTimeout] = Row(ErrorCategory.OperationTimeout, _ => "e-slowsave", lab =>
        {
            // A guest whose 1 GiB of memory is all 0xFF (its RAM mapped from a file of them): qemu saves zero pages as a
            // flag but writes every other page, a GiB that takes many seconds (12 s on the test machine), against a bounded wait of two.
            var ram = TestGuest.WriteMemoryFile(lab.WorkFile("e-slowsave.ram"), 1024);

            lab.Session.Ok("New-HeadlessVmDisk ./e-slowsave.qcow2 -SizeGB 0.1 | Out-Null; " +
                $"New-HeadlessVm e-slowsave -MemoryMB 1024 -Network None -Accelerator Tcg -Paused -DiskPath ./e-slowsave.qcow2 -ExtraArgument '-mem-path', '{ram}' | Out-Null");
            try
            {
                return Run(lab, "$env:HEADLESSVM_SNAPSHOT_TIMEOUT_SEC = '2'; try { Checkpoint-HeadlessVm e-slowsave slow } finally { $env:HEADLESSVM_SNAPSHOT_TIMEOUT_SEC = $null }");
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-slowsave -Force");
                File.Delete(ram);
            }
        }),
        [ErrorIds.MediumChangeFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-cd", lab =>
        {
            // The ISO asked for is another running VM's writable disk: qemu's image locking refuses it to the CD-ROM
            // ("Failed to get shared "write" lock"), and the CD-ROM keeps the ISO it had.
            File.Copy(TestGuest.Iso, lab.WorkFile("e-cd-busy.iso"));
            File.Copy(TestGuest.Iso, lab.WorkFile("e-cd.iso"));
            lab.Session.Ok("New-HeadlessVm e-cd-writer -MemoryMB 64 -Network None -Accelerator Tcg -Paused -DiskPath ./e-cd-busy.iso -DiskFormat raw | Out-Null; " +
                "New-HeadlessVm e-cd -MemoryMB 64 -Network None -Accelerator Tcg -Paused -IsoPath ./e-cd.iso | Out-Null");
            try
            {
                var raised = Run(lab, "Set-HeadlessVm e-cd -IsoPath ./e-cd-busy.iso");
                var cdrom = QmpClient.ExecuteOnce(lab.Session.Paths.ForVm("e-cd").QmpSocket, TimeSpan.FromSeconds(5), null, default, "query-block", null)!
                    .AsArray().Single(d => d!["device"]!.GetValue<string>() == "cdrom0")!;
                Assert.Equal(lab.WorkFile("e-cd.iso"), cdrom["inserted"]?["file"]?.GetValue<string>());
                Assert.Equal(lab.WorkFile("e-cd.iso"), lab.Session.Ok("(Get-HeadlessVm e-cd).IsoPath").Single().ToString());
                return raised;
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-cd, e-cd-writer -Force");
            }
        }),
        [ErrorIds.VmMustBeStopped] = Row(ErrorCategory.InvalidOperation, _ => ErrorLab.RunningVm, lab => Run(lab, $"Set-HeadlessVm {lab.Running} -MemoryMB 128")),
        [ErrorIds.DiskNotAttached] = Row(ErrorCategory.ObjectNotFound, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Set-HeadlessVm {lab.Stopped} -RemoveDiskPath ./nosuch.qcow2")),
        [ErrorIds.DiskAlreadyAttached] = Row(ErrorCategory.ResourceExists, _ => SnapVm, lab => Run(lab, $"Set-HeadlessVm {Snap(lab)} -AddDiskPath ./{SnapVm}.qcow2")),
        [ErrorIds.CopyDiskExists] = Row(ErrorCategory.ResourceExists, _ => SnapVm, lab =>
        {
            // The copy's disk name (<new name>-<disk name>) is taken by a file of the user's.
            File.WriteAllText(lab.WorkFile($"e-copied-{SnapVm}.qcow2"), "mine");
            return Run(lab, $"Copy-HeadlessVm {Snap(lab)} e-copied");
        }),
        [ErrorIds.CopyDiskFolderNotFound] = Row(ErrorCategory.ObjectNotFound, _ => SnapVm, lab => Run(lab, $"Copy-HeadlessVm {Snap(lab)} e-nofolder -DiskFolder ./no/such/folder")),
        [ErrorIds.QemuImgConvertFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-badcopy", lab =>
        {
            // A disk recorded as qcow2 that is no longer qcow2 inside: qemu-img convert refuses it.
            lab.Session.Ok("New-HeadlessVmDisk ./e-badcopy.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVm e-badcopy -MemoryMB 64 -DiskPath ./e-badcopy.qcow2 -NoStart | Out-Null");
            File.WriteAllBytes(lab.WorkFile("e-badcopy.qcow2"), new byte[1024 * 1024]);
            return Run(lab, "Copy-HeadlessVm e-badcopy e-badcopy2");
        }),
        [ErrorIds.DiskNotInStoragePool] = Row(ErrorCategory.ObjectNotFound, _ => "e-lvnopool", lab =>
        {
            // libvirt copies volumes of storage pools only; this machine's libvirtd has no pool for the disk's folder.
            lab.Daemons!.EnsureLocal();
            lab.Session.Ok("New-HeadlessVm e-lvnopool -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -DiskPath /var/lib/libvirt/images/hvm-nopool/d.qcow2 -NoStart | Out-Null");
            try
            {
                return Run(lab, "Copy-HeadlessVm e-lvnopool e-lvnopool2 -ConnectionUri qemu:///system");
            }
            finally
            {
                lab.Session.Ok("Remove-HeadlessVm e-lvnopool -ConnectionUri qemu:///system");
            }
        }),
        [ErrorIds.InvalidSshPublicKey] = Script(InvalidArgument, "e-key", "New-HeadlessVm e-key -MemoryMB 64 -NoStart -SshPublicKey 'not a key'"),
        [ErrorIds.InvalidGuestHostName] = Script(InvalidArgument, "e-gh", "New-HeadlessVm e-gh -MemoryMB 64 -NoStart -HostName 'bad_host!'"),
        [ErrorIds.CloudInitConflict] = Row(InvalidArgument, _ => "e-cic", lab =>
        {
            File.WriteAllText(lab.WorkFile("ud.yaml"), "#cloud-config\n");
            return Run(lab, "New-HeadlessVm e-cic -MemoryMB 64 -NoStart -UserData ./ud.yaml -UserName admin");
        }),
        [ErrorIds.CloudInitFileUnreadable] = Script(ErrorCategory.ObjectNotFound, "e-cif", "New-HeadlessVm e-cif -MemoryMB 64 -NoStart -SshPublicKey ./missing.pub"),
        [ErrorIds.CloudInitSeedFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-seed", lab =>
        {
            // What no real cloud-localds does on cue: refuse, with a message on stderr.
            lab.FakeProgram("cloud-localds", "echo 'cloud-localds: refused on cue' >&2; exit 3");
            return Errors(lab.WithPath(lab.FakesFirst, "New-HeadlessVm e-seed -MemoryMB 64 -NoStart -HostName seeded"));
        }),

        // Browser consoles.
        [ErrorIds.BridgeNotFound] = Script(ErrorCategory.ObjectNotFound, "e-nobridge", "Stop-VncBridge e-nobridge"),
        [ErrorIds.BridgeNotRunning] = Row(ErrorCategory.ResourceUnavailable, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Get-VmConsoleUrl {lab.Stopped}")),
        [ErrorIds.BridgeExists] = Row(ErrorCategory.ResourceExists, _ => "e-twice", lab =>
        {
            // A -Target bridge of that name runs, to another VNC server.
            var webPort = FreePorts.Next();
            lab.Session.Ok($"Start-VncBridge -Target 127.0.0.1:5998 -BridgeName e-twice -WebPort {webPort} | Out-Null");
            try
            {
                return Run(lab, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-twice -WebPort {webPort}");
            }
            finally
            {
                lab.Session.Ok("Stop-VncBridge e-twice");
            }
        }),
        [ErrorIds.BridgeSettingsDiffer] = Row(ErrorCategory.ResourceExists, _ => ErrorLab.RunningVm, lab =>
        {
            var (port, otherPort) = (FreePorts.Next(), FreePorts.Next());
            lab.Session.Ok($"Start-VncBridge {lab.Running} -WebPort {port} | Out-Null");
            try
            {
                return Run(lab, $"Start-VncBridge {lab.Running} -WebPort {otherPort}");
            }
            finally
            {
                lab.Session.Ok($"Stop-VncBridge {lab.Running}");
            }
        }),
        [ErrorIds.BridgeRecordDamaged] = Row(ErrorCategory.InvalidData, _ => ErrorLab.RunningVm, lab =>
        {
            lab.Session.Ok($"Start-VncBridge {lab.Running} -WebPort {FreePorts.Next()} | Out-Null");
            try
            {
                File.WriteAllText(lab.Session.Paths.ForVm(lab.Running).Bridge.RecordFile, "{ \"Name\": ");
                return Run(lab, $"Get-VncBridge {lab.Running}");
            }
            finally
            {
                lab.Session.Ok($"Stop-VncBridge {lab.Running}");
            }
        }),
        [ErrorIds.ConsoleServerRecordDamaged] = Row(ErrorCategory.InvalidData, _ => "e-server", lab =>
        {
            // A running console server that serves a bridge, its record damaged: another bridge on its port cannot share it.
            var port = FreePorts.Next();
            lab.Session.Ok($"Start-VncBridge {lab.Running} -WebPort {port} | Out-Null");
            var record = lab.Session.Paths.ForConsoleServer("127.0.0.1", port).RecordFile;
            var sound = File.ReadAllText(record);
            File.WriteAllText(record, "not a record");
            try
            {
                return Run(lab, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-server -WebPort {port}");
            }
            finally
            {
                File.WriteAllText(record, sound);
                lab.Session.Ok($"Stop-VncBridge {lab.Running}");
            }
        }),
        [ErrorIds.BridgeNameInUse] = Row(ErrorCategory.ResourceExists, _ => ErrorLab.StoppedVm, lab => Run(lab, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName {lab.Stopped}")),
        [ErrorIds.InvalidTarget] = Script(InvalidArgument, "nonsense", "Start-VncBridge -Target nonsense"),
        [ErrorIds.InvalidWebPort] = Script(InvalidArgument, "127.0.0.1-5999", "Start-VncBridge -Target 127.0.0.1:5999 -WebPort 0"),
        [ErrorIds.WebPortInUse] = Row(ErrorCategory.ResourceUnavailable, _ => "e-webport", lab =>
        {
            using var holder = Listen("127.0.0.1", 0);
            return Run(lab, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-webport -WebPort {((IPEndPoint)holder.LocalEndpoint).Port}");
        }),
        [ErrorIds.NoFreeWebPort] = Row(ErrorCategory.ResourceUnavailable, _ => "e-noport", lab =>
        {
            // Every port the search tries (6080 to 6179), held, on an address of its own.
            var address = FreePorts.PrivateLoopbackAddress();
            var holders = Enumerable.Range(6080, 100).Select(port => Listen(address, port)).ToList();
            try
            {
                return Run(lab, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-noport -ListenAddress {address}");
            }
            finally
            {
                holders.ForEach(h => h.Dispose());
            }
        }),
        [ErrorIds.NoVncNotInstalled] = Row(ErrorCategory.NotInstalled, _ => "e-novnc", lab =>
            // Debian's web client folder, empty for one pwsh (a tmpfs over it, in a mount namespace of its own).
            lab.InChildPwsh("Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-novnc", [Isolate, "hide", "/usr/share/novnc", "--"])),
        [ErrorIds.InvalidWebRoot] = Row(ErrorCategory.ObjectNotFound, _ => "e-webroot", lab =>
        {
            Directory.CreateDirectory(lab.WorkFile("not-novnc"));
            return Run(lab, "Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-webroot -WebRoot ./not-novnc");
        }),
        [ErrorIds.KeyWithoutCertificate] = Row(InvalidArgument, _ => "e-keyonly", lab =>
        {
            File.WriteAllText(lab.WorkFile("key-only.pem"), string.Empty);
            return Run(lab, "Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-keyonly -KeyPath ./key-only.pem");
        }),
        [ErrorIds.CertificateNotFound] = Script(ErrorCategory.ObjectNotFound, "e-nocert", "Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-nocert -CertificatePath ./missing.pem"),
        [ErrorIds.InvalidCertificate] = Row(InvalidArgument, _ => "e-badcert", lab =>
        {
            File.WriteAllText(lab.WorkFile("not-a-cert.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            return Run(lab, "Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-badcert -CertificatePath ./not-a-cert.pem");
        }),
        [ErrorIds.WebsockifyNotInstalled] = Row(ErrorCategory.NotInstalled, _ => "e-nows", lab =>
            Errors(lab.WithPath(lab.Empty, "Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-nows"))),
        [ErrorIds.WebsockifyStartFailed] = Row(ErrorCategory.InvalidOperation, _ => "e-wsfail", lab =>
        {
            // What no real websockify does on cue: refuse to start for a reason of its own.
            lab.FakeProgram("websockify", "echo 'websockify: cannot start: refused on cue' >&2; exit 1");
            return Errors(lab.WithPath(lab.FakesFirst, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-wsfail -WebPort {FreePorts.Next()}"));
        }),
        [ErrorIds.WebsockifyExitedEarly] = Row(ErrorCategory.InvalidOperation, _ => "e-wsgone", lab =>
        {
            // What no real websockify does on cue: say it started, and not be there.
            lab.FakeProgram("websockify", "exit 0");
            return Errors(lab.WithPath(lab.FakesFirst, $"Start-VncBridge -Target 127.0.0.1:5999 -BridgeName e-wsgone -WebPort {FreePorts.Next()}"));
        }),

        // Hosts (libvirt's test driver: test:///default has one running domain, "test", made outside HeadlessVm,
        // with no display and no serial log).
        [ErrorIds.InvalidHostName] = Script(InvalidArgument, "a/b", "Get-HeadlessVm -ComputerName 'a/b'"),
        [ErrorIds.InvalidConnectionUri] = Script(InvalidArgument, "not a uri", "Get-HeadlessVm -ConnectionUri 'not a uri'"),
        [ErrorIds.HostNotFound] = Script(ErrorCategory.ObjectNotFound, "e-nohost", "Get-HeadlessVmHost e-nohost"),
        [ErrorIds.HostExists] = Row(ErrorCategory.ResourceExists, _ => "e-host", lab =>
        {
            lab.Session.Ok("Connect-HeadlessVmHost e-host -Uri test:///default | Out-Null");
            try
            {
                return Run(lab, "Connect-HeadlessVmHost e-host -Uri qemu:///system -NoVerify");
            }
            finally
            {
                lab.Session.Ok("Disconnect-HeadlessVmHost e-host -Forget");
            }
        }),
        [ErrorIds.HostRegistryDamaged] = Row(ErrorCategory.InvalidData, lab => lab.Session.Paths.HostsFile, lab =>
        {
            File.WriteAllText(lab.Session.Paths.HostsFile, "garbage");
            try
            {
                return Run(lab, "Get-HeadlessVmHost");
            }
            finally
            {
                File.Delete(lab.Session.Paths.HostsFile);
            }
        }),
        [ErrorIds.HostNameUriMismatch] = Script(InvalidArgument, "a, b", "Get-HeadlessVm -ComputerName a, b -ConnectionUri qemu:///system"),
        [ErrorIds.HostTimeout] = Row(ErrorCategory.OperationTimeout, _ => "127.0.0.1", lab =>
        {
            // A listener that never answers (the kernel completes the connection; nobody reads it): libvirt's client
            // waits for its first reply, and the module gives up at its bounded open (30 s).
            using var silent = Listen("127.0.0.1", 0);
            return Run(lab, $"Get-HeadlessVm -ConnectionUri 'qemu+tcp://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/system'");
        }),
        [ErrorIds.SingleHostRequired] = Script(InvalidArgument, "e-two", "New-HeadlessVm e-two -ConnectionUri test:///default, qemu:///system -NoStart"),
        [ErrorIds.AmbiguousVmName] = Row(InvalidArgument, _ => "test", lab =>
        {
            // A second test-driver host with a domain named as test:///default's.
            var file = lab.WorkFile("host-b.xml");
            File.WriteAllText(file, "<node><domain type='test'><name>test</name><memory>65536</memory><os><type>hvm</type></os></domain></node>");
            lab.Session.Ok($"Connect-HeadlessVmHost e-ha -Uri test:///default -NoVerify; Connect-HeadlessVmHost e-hb -Uri 'test://{file}' -NoVerify | Out-Null");
            try
            {
                return Run(lab, "Get-VmConsoleUrl test -ComputerName e-ha, e-hb");
            }
            finally
            {
                lab.Session.Ok("Disconnect-HeadlessVmHost e-ha, e-hb -Forget");
            }
        }),
        [ErrorIds.InvalidConsoleVia] = Script(InvalidArgument, "e-via", "Connect-HeadlessVmHost e-via -Uri test:///default -ConsoleVia tunnel -NoVerify"),
        [ErrorIds.ConsoleNotReachable] = Row(ErrorCategory.InvalidOperation, _ => "e-direct", lab =>
        {
            // -ConsoleVia Direct to a host whose VM's VNC listens on the host's own loopback: nothing here can reach it.
            var file = lab.WorkFile("host-direct.xml");
            File.WriteAllText(file, "<node><domain type='test'><name>e-direct</name><memory>65536</memory><os><type>hvm</type></os>" +
                "<devices><graphics type='vnc' port='5990' autoport='no'><listen type='address' address='127.0.0.1'/></graphics></devices></domain></node>");
            lab.Session.Run($"Connect-HeadlessVmHost e-hd -Uri 'test://{file}' -ConsoleVia Direct -NoVerify");
            try
            {
                return Run(lab, $"Start-VncBridge e-direct -ComputerName e-hd -WebPort {FreePorts.Next()}");
            }
            finally
            {
                lab.Session.Ok("Disconnect-HeadlessVmHost e-hd -Forget");
            }
        }),
        [ErrorIds.VmIsExternal] = Script(ErrorCategory.InvalidOperation, "test", "Remove-HeadlessVm test -ConnectionUri test:///default"),
        [ErrorIds.InvalidNetworkMode] = Script(InvalidArgument, "e-net", "New-HeadlessVm e-net -ConnectionUri test:///default -MemoryMB 64 -NoStart -Network Other"),
        [ErrorIds.NoVncDisplay] = Script(ErrorCategory.InvalidOperation, "test", "Start-VncBridge test -ConnectionUri test:///default"),
        [ErrorIds.NoSerialLog] = Script(ErrorCategory.ObjectNotFound, "test", "Get-HeadlessVmSerialLog test -ConnectionUri test:///default"),
        [ErrorIds.PortForwardFailed] = Row(ErrorCategory.ResourceUnavailable, _ => "e-lvfwd", lab =>
        {
            // This machine's libvirtd: qemu's hostfwd_add refuses a host port another program holds.
            lab.Daemons!.EnsureLocal();
            using var holder = Listen("127.0.0.1", 0);
            try
            {
                return Run(lab, $"New-HeadlessVm e-lvfwd -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -PortForward '{((IPEndPoint)holder.LocalEndpoint).Port}:80'");
            }
            finally
            {
                lab.Session.Run("Remove-HeadlessVm e-lvfwd -ConnectionUri qemu:///system -Force");
            }
        }),

        // Libvirt's own failures, where a cmdlet reaches them on this machine.
        [ErrorIds.LibvirtNotInstalled] = Row(ErrorCategory.NotInstalled, _ => "localhost", lab =>
            // libvirt's libraries hidden (bind-mounted /dev/null over them) for one pwsh, in a mount namespace of its own.
            lab.InChildPwsh("Get-HeadlessVm -ConnectionUri test:///default", ["bash", Path.Combine(RepoPaths.Root, "tests", "hosts", "without-libvirt.sh")])),
        [ErrorIds.HostUnreachable] = Script(ErrorCategory.ConnectionError, "localhost", "Get-HeadlessVm -ConnectionUri 'qemu+unix:///system?socket=/proc/hvm-no-daemon/libvirt-sock'"),
        [ErrorIds.HostUnknown] = Script(ErrorCategory.ConnectionError, "no-such-host.invalid", "Get-HeadlessVm -ComputerName no-such-host.invalid"),
        [ErrorIds.LibvirtNotSupported] = Script(ErrorCategory.InvalidOperation, "test", "Wait-HeadlessVm test -ConnectionUri test:///default -ForText never -TimeoutSec 5"),
        [ErrorIds.DomainFileNotFound] = Row(ErrorCategory.ObjectNotFound, _ => "e-lvdisk", lab =>
        {
            lab.Daemons!.EnsureLocal();
            return Run(lab, "New-HeadlessVm e-lvdisk -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -DiskPath /var/lib/libvirt/images/hvm-absent.qcow2");
        }),
        [ErrorIds.DomainDiskLocked] = Row(ErrorCategory.ResourceBusy, _ => "e-lvlocked", lab =>
        {
            // A domain recreated beside its running original, on the original's disk: qemu's image lock, through libvirt.
            lab.Daemons!.EnsureLocal();
            var images = Directory.CreateDirectory(Path.Combine("/var/lib/libvirt/images", "hvm-" + Guid.NewGuid().ToString("N")[..8]));
            var disk = Path.Combine(images.FullName, "shared.qcow2");
            try
            {
                lab.Session.Ok($"New-HeadlessVmDisk '{disk}' -SizeGB 1 | Out-Null; " +
                    $"New-HeadlessVm e-lvholder -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -DiskPath '{disk}' -Paused | Out-Null");
                return Run(lab, $"New-HeadlessVm e-lvlocked -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -DiskPath '{disk}'");
            }
            finally
            {
                lab.Session.Run("Remove-HeadlessVm e-lvholder, e-lvlocked -ConnectionUri qemu:///system -Force");
                images.Delete(recursive: true);
            }
        }),
        [ErrorIds.DomainFileAccessDenied] = Row(ErrorCategory.PermissionDenied, _ => "e-lvhidden", lab =>
        {
            // A private folder (0700, root) hides the kernel from the user qemu runs as (libvirt-qemu).
            lab.Daemons!.EnsureLocal();
            var hidden = Directory.CreateTempSubdirectory("hvm-private-");
            try
            {
                File.Copy(TestGuest.Kernel, Path.Combine(hidden.FullName, "vmlinuz"));
                return Run(lab, $"New-HeadlessVm e-lvhidden -ConnectionUri qemu:///system -MemoryMB 64 -Accelerator Tcg -KernelPath '{hidden.FullName}/vmlinuz'");
            }
            finally
            {
                hidden.Delete(recursive: true);
            }
        }),
    };

    private const string LongName = "a-forty-character-vm-name-for-the-socket";

    /// <summary>A stopped VM with one qcow2 disk (e-snap.qcow2), made on first use.</summary>
    private const string SnapVm = "e-snap";

    private static string Snap(ErrorLab lab)
    {
        if (!Directory.Exists(lab.Session.Paths.ForVm(SnapVm).Folder))
        {
            lab.Session.Ok($"New-HeadlessVmDisk ./{SnapVm}.qcow2 -SizeGB 0.1 | Out-Null; New-HeadlessVm {SnapVm} -MemoryMB 64 -DiskPath ./{SnapVm}.qcow2 -NoStart | Out-Null");
        }

        return SnapVm;
    }

    /// <summary>A qcow2 header (magic "QFI\xfb") of version 9, which no qemu knows: qemu and qemu-img refuse to open it.</summary>
    private static byte[] DamagedQcow2 => [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 9, .. "damaged"u8];

    private static string Isolate => Path.Combine(RepoPaths.Root, "tests", "HeadlessVm.Tests", "Isolation", "isolate.sh");

    private static ErrorRow Script(ErrorCategory category, string target, string script) => new(category, _ => target, lab => Run(lab, script));

    private static ErrorRow Script(ErrorCategory category, Func<ErrorLab, string> target, string script) => new(category, target, lab => Run(lab, script));

    private static ErrorRow Row(ErrorCategory category, Func<ErrorLab, string> target, Func<ErrorLab, IReadOnlyList<RaisedError>> raise) => new(category, target, raise);

    private static IReadOnlyList<RaisedError> Run(ErrorLab lab, string script) => Errors(lab.Session.Run(script));

    /// <summary>The errors a script reported: written ones, and the one that ended it.</summary>
    private static IReadOnlyList<RaisedError> Errors(PsResult result) =>
        result.Errors.Select(RaisedError.From)
            .Concat(result.Terminating is IContainsErrorRecord { ErrorRecord: { } record } ? [RaisedError.From(record)] : [])
            .ToList();

    private static TcpListenerLease Listen(string address, int port) => new(address, port);

    /// <summary>A listener held for one row (another program on the port); disposing it closes the port.</summary>
    private sealed class TcpListenerLease : IDisposable
    {
        private readonly TcpListener _listener;

        public TcpListenerLease(string address, int port)
        {
            _listener = new TcpListener(IPAddress.Parse(address), port);
            _listener.Start();
        }

        public EndPoint LocalEndpoint => _listener.LocalEndpoint;

        public void Dispose() => _listener.Stop();
    }
}
