using System.Management.Automation;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.Qmp;

namespace HeadlessVm.Tests;

/// <summary>
/// New-HeadlessVm -CloudInit with real cloud-localds, xorriso and qemu: the seed image is labelled cidata, holds the
/// user-data, meta-data and network-config asked for, is 0600, and is attached read-only to the running VM; the key
/// never reaches a command line; bad input is its own error and leaves no VM.
/// </summary>
[Collection("PowerShell")]
public sealed class CloudInitTests : IDisposable
{
    private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJt7mHvzCZp6v5Qn0cM5m8Yh2K1y6qGgXkH9m1n3bqQx hvm-test";

    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_cloud_init_VM_gets_a_private_cidata_seed_with_its_user_key_host_name_and_network_config_attached_read_only()
    {
        File.WriteAllText(_ps.Work("id.pub"), Key + "\n");
        var vars = TestGuest.Variables;
        vars["net"] = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n";
        var created = _ps.Run("New-HeadlessVm ci1 -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd -KernelArgument $cmdline " +
            "-Network None -UserName admin -HostName web1 -SshPublicKey ./id.pub -NetworkConfig $net -Verbose", vars);
        Assert.Empty(created.Errors);
        Assert.Contains(created.Verbose, v => v.Contains("cloud-localds", StringComparison.Ordinal));
        Assert.DoesNotContain(created.Verbose, v => v.Contains("AAAAC3Nza", StringComparison.Ordinal));

        var vm = _ps.Paths.ForVm("ci1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(vm.CloudInitSeed));
        Assert.False(Directory.Exists(vm.CloudInitWork));
        Assert.False(File.Exists(vm.CloudInitSeedPartial));
        Assert.Contains("Volume Id    : cidata", NativeTool.Run("xorriso", "-indev", vm.CloudInitSeed, "-pvd_info").Output);

        var userData = Extract(vm.CloudInitSeed, "user-data");
        Assert.StartsWith("#cloud-config\n", userData);
        Assert.Contains("name: \"admin\"", userData);
        Assert.Contains($"- \"{Key}\"", userData);
        Assert.Contains("ssh_pwauth: false", userData);
        var metaData = Extract(vm.CloudInitSeed, "meta-data");
        Assert.Matches("instance-id: \"ci1-[0-9a-f]{12}\"", metaData);
        Assert.Contains("local-hostname: \"web1\"", metaData);
        Assert.Equal(vars["net"], Extract(vm.CloudInitSeed, "network-config"));

        // qemu has the seed as a read-only CD-ROM while the guest runs; no qemu argument holds the key.
        _ps.Ok($"Wait-HeadlessVm ci1 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120 | Out-Null");
        var drive = QmpClient.ExecuteOnce(vm.QmpSocket, TimeSpan.FromSeconds(10), null, CancellationToken.None, "query-block", null)!.AsArray()
            .OfType<JsonObject>().Single(d => d["device"]!.GetValue<string>() == "cidata");
        Assert.Equal(vm.CloudInitSeed, drive["inserted"]!["file"]!.GetValue<string>());
        Assert.True(drive["inserted"]!["ro"]!.GetValue<bool>());
        var pid = (int)_ps.Ok("Get-HeadlessVm ci1").Single().Properties["ProcessId"].Value!;
        Assert.DoesNotContain(ProcessInfo.CommandLine(pid)!, a => a.Contains("AAAAC3Nza", StringComparison.Ordinal));
        _ps.Ok("Stop-HeadlessVm ci1 -Force");
    }

    [Fact]
    public void Whole_user_data_goes_in_as_it_is_and_keys_without_a_user_go_to_the_default_user()
    {
        _ps.Ok("New-HeadlessVm ci2 -Accelerator Tcg -MemoryMB 64 -NoStart -UserData \"#cloud-config`nruncmd:`n  - echo HVM-MARKER`n\" | Out-Null");
        Assert.Equal("#cloud-config\nruncmd:\n  - echo HVM-MARKER\n", Extract(_ps.Paths.ForVm("ci2").CloudInitSeed, "user-data"));
        Assert.Contains("local-hostname: \"ci2\"", Extract(_ps.Paths.ForVm("ci2").CloudInitSeed, "meta-data"));

        _ps.Run($"New-HeadlessVm ci3 -Accelerator Tcg -MemoryMB 64 -NoStart -SshPublicKey $key | Out-Null", new Dictionary<string, object?> { ["key"] = Key });
        var userData = Extract(_ps.Paths.ForVm("ci3").CloudInitSeed, "user-data");
        Assert.Contains($"ssh_authorized_keys:\n  - \"{Key}\"", userData);
        Assert.DoesNotContain("users:", userData);
    }

    [Fact]
    public void The_guest_finds_the_cidata_CD_ROM_and_reads_its_user_data_and_host_name_at_boot()
    {
        // The test guest has no CD-ROM or ISO 9660 drivers and does not look for cidata; an initramfs layer of this
        // test's own adds the host kernel's modules and a first program (rdinit) that mounts the seed and prints
        // what it holds on the serial console, then runs the guest's /init. The shared cached guest is not changed.
        var vars = TestGuest.Variables;
        vars["initrd"] = CidataInitrd(_ps);
        vars["cmdline"] = TestGuest.KernelArguments + " rdinit=/cidata-init";
        vars["ud"] = "#cloud-config\nruncmd:\n  - echo HVM-MARKER-4711\n";
        var created = _ps.Run("New-HeadlessVm ci6 -Accelerator Tcg -MemoryMB 256 -KernelPath $kernel -InitrdPath $initrd -KernelArgument $cmdline " +
            "-Network None -HostName seen-by-guest -UserData $ud", vars);
        Assert.Empty(created.Errors);
        _ps.Ok($"Wait-HeadlessVm ci6 -ForText '^{TestGuest.Ready}$' -TimeoutSec 120 | Out-Null");
        var serial = _ps.Ok("Get-HeadlessVmSerialLog ci6").Select(o => o.ToString()).ToArray();
        Assert.DoesNotContain(serial, l => l.StartsWith("HEADLESSVM-CIDATA-ERROR", StringComparison.Ordinal));
        Assert.Contains("HEADLESSVM-CIDATA-USER:   - echo HVM-MARKER-4711", serial);
        Assert.Contains("HEADLESSVM-CIDATA-META: local-hostname: \"seen-by-guest\"", serial);
        _ps.Ok("Stop-HeadlessVm ci6 -Force");
    }

    /// <summary>The test guest's initrd with a layer appended: cdrom, sr_mod, isofs and virtio_scsi (a libvirt VM's seed drive) from the host's cloud kernel, and /cidata-init.</summary>
    internal static string CidataInitrd(PowerShellSession ps)
    {
        var root = Directory.CreateDirectory(ps.Work("cidata-root")).FullName;
        var modules = Directory.CreateDirectory(Path.Combine(root, "lib", "modules")).FullName;
        var kernel = Directory.GetDirectories("/lib/modules", "*-cloud-amd64").Single();
        foreach (var module in new[] { "drivers/cdrom/cdrom.ko", "drivers/scsi/sr_mod.ko", "fs/isofs/isofs.ko", "drivers/scsi/virtio_scsi.ko" })
        {
            File.Copy(Path.Combine(kernel, "kernel", module), Path.Combine(modules, Path.GetFileName(module)));
        }

        var init = Path.Combine(root, "cidata-init");
        File.WriteAllText(init, """
            #!/bin/sh
            export PATH=/bin:/sbin:/usr/bin:/usr/sbin
            mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
            while read m; do [ -n "$m" ] && insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules.load
            for m in cdrom.ko sr_mod.ko isofs.ko virtio_scsi.ko; do insmod "/lib/modules/$m" 2>/dev/null; done
            i=0; while [ ! -b /dev/sr0 ] && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done
            mkdir -p /cidata
            if mount -t iso9660 -o ro /dev/sr0 /cidata; then
              sed 's/^/HEADLESSVM-CIDATA-USER: /' /cidata/user-data > /dev/ttyS0
              sed 's/^/HEADLESSVM-CIDATA-META: /' /cidata/meta-data > /dev/ttyS0
              umount /cidata
            else
              echo "HEADLESSVM-CIDATA-ERROR: no cidata CD-ROM" > /dev/ttyS0
            fi
            umount /dev; umount /sys; umount /proc
            exec /init
            """.Replace("\r", string.Empty) + "\n");
        File.SetUnixFileMode(init, (UnixFileMode)0b111_101_101);

        var layer = ps.Work("cidata-layer.cpio");
        var psi = new System.Diagnostics.ProcessStartInfo("cpio") { WorkingDirectory = root, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-o", "-H", "newc", "-F", layer })
        {
            psi.ArgumentList.Add(a);
        }

        using (var cpio = System.Diagnostics.Process.Start(psi)!)
        {
            cpio.StandardInput.Write("cidata-init\nlib/modules/cdrom.ko\nlib/modules/sr_mod.ko\nlib/modules/isofs.ko\nlib/modules/virtio_scsi.ko\n");
            cpio.StandardInput.Close();
            var err = cpio.StandardError.ReadToEndAsync();
            Assert.True(cpio.WaitForExit(60_000) && cpio.ExitCode == 0, err.Result);
        }

        // The kernel unpacks concatenated archives in turn, each 4-byte aligned (Documentation/driver-api/early-userspace).
        var initrd = ps.Work("cidata-initrd.img");
        var bytes = File.ReadAllBytes(TestGuest.Initrd).ToList();
        while (bytes.Count % 4 != 0)
        {
            bytes.Add(0);
        }

        File.WriteAllBytes(initrd, bytes.Concat(File.ReadAllBytes(layer)).ToArray());
        return initrd;
    }

    [Fact]
    public void Set_HeadlessVm_makes_the_seed_anew_with_a_new_instance_id_and_a_copy_gets_a_seed_of_its_own()
    {
        _ps.Run("New-HeadlessVm ci4 -Accelerator Tcg -MemoryMB 64 -NoStart -UserName admin -SshPublicKey $key | Out-Null", new Dictionary<string, object?> { ["key"] = Key });
        var seed = _ps.Paths.ForVm("ci4").CloudInitSeed;
        var first = Extract(seed, "meta-data");

        _ps.Ok("Set-HeadlessVm ci4 -HostName renamed-host");
        var second = Extract(seed, "meta-data");
        Assert.Contains("local-hostname: \"renamed-host\"", second);
        Assert.NotEqual(InstanceId(first), InstanceId(second));
        Assert.Contains(Key, Extract(seed, "user-data"));
        Assert.Contains("name: \"admin\"", Extract(seed, "user-data"));

        _ps.Ok("Copy-HeadlessVm ci4 ci5");
        var copied = Extract(_ps.Paths.ForVm("ci5").CloudInitSeed, "meta-data");
        Assert.NotEqual(InstanceId(second), InstanceId(copied));
        Assert.Contains(Key, Extract(_ps.Paths.ForVm("ci5").CloudInitSeed, "user-data"));

        // A running VM keeps its seed: cloud-init reads it at boot.
        _ps.Ok($"Set-HeadlessVm ci5 -VncDisplay {_ps.FreeVncDisplay()}; Start-HeadlessVm ci5 -Paused");
        _ps.Refused("Set-HeadlessVm ci5 -HostName other", "VmMustBeStopped", "ci5", ErrorCategory.InvalidOperation);
        Assert.Equal(copied, Extract(_ps.Paths.ForVm("ci5").CloudInitSeed, "meta-data"));
        _ps.Ok("Stop-HeadlessVm ci5 -Force");
    }

    [Fact]
    public void A_renamed_VM_whose_host_name_was_its_name_gets_a_seed_with_the_new_name_and_an_explicit_host_name_stays()
    {
        var key = new Dictionary<string, object?> { ["key"] = Key };
        Assert.Empty(_ps.Run("New-HeadlessVm ci7 -Accelerator Tcg -MemoryMB 64 -NoStart -UserName admin -SshPublicKey $key", key).Errors);
        Assert.Empty(_ps.Run("New-HeadlessVm ci8 -Accelerator Tcg -MemoryMB 64 -NoStart -UserName admin -SshPublicKey $key -HostName fixed-host", key).Errors);
        var defaulted = Extract(_ps.Paths.ForVm("ci7").CloudInitSeed, "meta-data");
        var fixedHost = Extract(_ps.Paths.ForVm("ci8").CloudInitSeed, "meta-data");
        Assert.Contains("local-hostname: \"ci7\"", defaulted);

        _ps.Ok("Rename-HeadlessVm ci7 web7; Rename-HeadlessVm ci8 web8");

        // The host name followed the VM's name, with a new instance id so that cloud-init applies it; the rest stays.
        var renamed = Extract(_ps.Paths.ForVm("web7").CloudInitSeed, "meta-data");
        Assert.Contains("local-hostname: \"web7\"", renamed);
        Assert.NotEqual(InstanceId(defaulted), InstanceId(renamed));
        Assert.Contains(Key, Extract(_ps.Paths.ForVm("web7").CloudInitSeed, "user-data"));

        // A host name given by the user is not the VM's name: the seed is the same, instance id included.
        Assert.Equal(fixedHost, Extract(_ps.Paths.ForVm("web8").CloudInitSeed, "meta-data"));
    }

    [Fact]
    public void Set_HeadlessVm_UserData_empty_drops_a_whole_user_data_for_a_user_and_key_and_a_whole_one_replaces_them_again()
    {
        var vars = new Dictionary<string, object?> { ["key"] = Key, ["ud"] = "#cloud-config\nruncmd:\n  - echo HVM-MARKER-0815\n" };
        Assert.Empty(_ps.Run("New-HeadlessVm ud1 -Accelerator Tcg -MemoryMB 64 -NoStart -UserData $ud", vars).Errors);
        var seed = _ps.Paths.ForVm("ud1").CloudInitSeed;
        var whole = Extract(seed, "meta-data");

        // A user beside the VM's whole user-data is refused, and the error says how to drop it; the seed stays.
        var conflict = _ps.Refused("Set-HeadlessVm ud1 -UserName admin", "CloudInitConflict", "ud1", ErrorCategory.InvalidArgument);
        Assert.Contains("-UserData ''", conflict.Exception.Message);
        Assert.Equal(whole, Extract(seed, "meta-data"));

        Assert.Empty(_ps.Run("Set-HeadlessVm ud1 -UserData '' -UserName admin -SshPublicKey $key", vars).Errors);
        var generated = Extract(seed, "user-data");
        Assert.DoesNotContain("HVM-MARKER-0815", generated);
        Assert.Contains("name: \"admin\"", generated);
        Assert.Contains(Key, generated);
        var afterDrop = Extract(seed, "meta-data");
        Assert.NotEqual(InstanceId(whole), InstanceId(afterDrop));

        // A whole user-data again takes the place of the user and key the module wrote.
        Assert.Empty(_ps.Run("Set-HeadlessVm ud1 -UserData $ud", vars).Errors);
        Assert.Equal((string)vars["ud"]!, Extract(seed, "user-data"));
        Assert.NotEqual(InstanceId(afterDrop), InstanceId(Extract(seed, "meta-data")));
    }

    private static string InstanceId(string metaData) => metaData.Split('\n')[0];

    [Theory]
    [InlineData("-SshPublicKey ./missing.pub", "CloudInitFileUnreadable", ErrorCategory.ObjectNotFound)]
    [InlineData("-SshPublicKey ./keys", "CloudInitFileUnreadable", ErrorCategory.ObjectNotFound)]
    [InlineData("-SshPublicKey 'not a key'", "InvalidSshPublicKey", ErrorCategory.InvalidArgument)]
    [InlineData("-UserData ./ud.yaml -UserName admin", "CloudInitConflict", ErrorCategory.InvalidArgument)]
    [InlineData("-HostName 'bad_host!'", "InvalidGuestHostName", ErrorCategory.InvalidArgument)]
    public void Bad_cloud_init_input_is_its_own_error_with_the_VM_as_target_and_makes_no_VM(string parameters, string id, ErrorCategory category)
    {
        Directory.CreateDirectory(_ps.Work("keys"));
        File.WriteAllText(_ps.Work("ud.yaml"), "#cloud-config\n");
        var error = Assert.Single(_ps.Run($"New-HeadlessVm bad -Accelerator Tcg -MemoryMB 64 -NoStart {parameters}").Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("bad", error.TargetObject);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
        Assert.False(Directory.Exists(_ps.Paths.ForVm("bad").Folder));
    }

    private string Extract(string seed, string file) => Extract(_ps, seed, file);

    /// <summary>The text of <paramref name="file"/> in the ISO <paramref name="seed"/>, read with xorriso.</summary>
    internal static string Extract(PowerShellSession ps, string seed, string file)
    {
        var target = ps.Work($"{Guid.NewGuid():N}-{file}");
        var r = NativeTool.Run("xorriso", "-osirrox", "on", "-indev", seed, "-extract", "/" + file, target);
        Assert.True(r.ExitCode == 0, r.Output);
        return File.ReadAllText(target);
    }
}
