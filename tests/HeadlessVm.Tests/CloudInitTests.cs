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

    private string Work(string file) => Path.Combine(_ps.WorkFolder, file);

    [Fact]
    public void A_cloud_init_VM_gets_a_private_cidata_seed_with_its_user_key_host_name_and_network_config_attached_read_only()
    {
        File.WriteAllText(Work("id.pub"), Key + "\n");
        var vars = new Dictionary<string, object?>
        {
            ["kernel"] = TestGuest.Kernel,
            ["initrd"] = TestGuest.Initrd,
            ["cmdline"] = TestGuest.KernelArguments,
            ["net"] = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n",
        };
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
        _ps.Ok("New-HeadlessVm ci2 -MemoryMB 64 -NoStart -UserData \"#cloud-config`nruncmd:`n  - echo HVM-MARKER`n\" | Out-Null");
        Assert.Equal("#cloud-config\nruncmd:\n  - echo HVM-MARKER\n", Extract(_ps.Paths.ForVm("ci2").CloudInitSeed, "user-data"));
        Assert.Contains("local-hostname: \"ci2\"", Extract(_ps.Paths.ForVm("ci2").CloudInitSeed, "meta-data"));

        _ps.Run($"New-HeadlessVm ci3 -MemoryMB 64 -NoStart -SshPublicKey $key | Out-Null", new Dictionary<string, object?> { ["key"] = Key });
        var userData = Extract(_ps.Paths.ForVm("ci3").CloudInitSeed, "user-data");
        Assert.Contains($"ssh_authorized_keys:\n  - \"{Key}\"", userData);
        Assert.DoesNotContain("users:", userData);
    }

    [Fact]
    public void Set_HeadlessVm_makes_the_seed_anew_with_a_new_instance_id_and_a_copy_gets_a_seed_of_its_own()
    {
        _ps.Run("New-HeadlessVm ci4 -MemoryMB 64 -NoStart -UserName admin -SshPublicKey $key | Out-Null", new Dictionary<string, object?> { ["key"] = Key });
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

        static string InstanceId(string metaData) => metaData.Split('\n')[0];
    }

    [Theory]
    [InlineData("-SshPublicKey ./missing.pub", "CloudInitFileUnreadable", ErrorCategory.ObjectNotFound)]
    [InlineData("-SshPublicKey ./keys", "CloudInitFileUnreadable", ErrorCategory.ObjectNotFound)]
    [InlineData("-SshPublicKey 'not a key'", "InvalidSshPublicKey", ErrorCategory.InvalidArgument)]
    [InlineData("-UserData ./ud.yaml -UserName admin", "CloudInitConflict", ErrorCategory.InvalidArgument)]
    [InlineData("-HostName 'bad_host!'", "InvalidGuestHostName", ErrorCategory.InvalidArgument)]
    public void Bad_cloud_init_input_is_its_own_error_with_the_VM_as_target_and_makes_no_VM(string parameters, string id, ErrorCategory category)
    {
        Directory.CreateDirectory(Work("keys"));
        File.WriteAllText(Work("ud.yaml"), "#cloud-config\n");
        var error = Assert.Single(_ps.Run($"New-HeadlessVm bad -MemoryMB 64 -NoStart {parameters}").Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("bad", error.TargetObject);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
        Assert.False(Directory.Exists(_ps.Paths.ForVm("bad").Folder));
    }

    [Fact]
    public void Cloud_init_on_a_libvirt_host_is_NotSupportedOnHost()
    {
        var error = Assert.Single(_ps.Run("New-HeadlessVm ci9 -ConnectionUri test:///default -MemoryMB 64 -NoStart -CloudInit").Errors);
        Assert.Equal("NotSupportedOnHost", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("localhost", error.TargetObject);
    }

    private string Extract(string seed, string file)
    {
        var target = Work($"{Guid.NewGuid():N}-{file}");
        var r = NativeTool.Run("xorriso", "-osirrox", "on", "-indev", seed, "-extract", "/" + file, target);
        Assert.True(r.ExitCode == 0, r.Output);
        return File.ReadAllText(target);
    }
}
