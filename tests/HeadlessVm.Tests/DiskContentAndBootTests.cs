using HeadlessVm.Core.Processes;

namespace HeadlessVm.Tests;

/// <summary>
/// The real test guest: a qcow2 image named .img (as cloud images ship) is used as qcow2 because its
/// content says so, and boots; a restart is a boot boundary for every reader of the serial console.
/// </summary>
[Collection("PowerShell")]
public sealed class DiskContentAndBootTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Fact]
    public void A_qcow2_image_named_img_boots_as_qcow2_and_after_a_restart_Wait_HeadlessVm_waits_for_the_new_boot()
    {
        var image = Path.Combine(_ps.WorkFolder, "cloud.img");
        File.Copy(TestGuest.Qcow2, image);

        // The input: the name says raw, the content is qcow2.
        var created = _ps.Run("New-HeadlessVm p09 -Accelerator Tcg -MemoryMB 256 -Network None -DiskPath ./cloud.img");
        Assert.Empty(created.Errors);
        Assert.Contains(created.Warnings, w => w.Contains("holds a qcow2 image, though its name says raw", StringComparison.Ordinal));
        var vm = created.Output.Single();
        Assert.Equal("qcow2", vm.Properties["DiskFormat"].Value!.ToString());
        Assert.Contains($"file={image},format=qcow2,if=virtio", ProcessInfo.CommandLine((int)vm.Properties["ProcessId"].Value!)!);
        Assert.Equal("qcow2", _ps.Ok("(Get-HeadlessVmDisk ./cloud.img).Format").Single().BaseObject);
        Assert.Equal(TestGuest.Ready, _ps.Ok($"Wait-HeadlessVm p09 -ForText '^{TestGuest.Ready}$' -TimeoutSec 180").Single().BaseObject);

        // After Restart-HeadlessVm, the previous boot's lines are not this boot's.
        _ps.Ok("Restart-HeadlessVm p09");
        Assert.DoesNotContain(TestGuest.Ready, _ps.Ok("Get-HeadlessVmSerialLog p09").Select(o => (string)o.BaseObject));
        var again = _ps.Run($"Wait-HeadlessVm p09 -ForText '^{TestGuest.Ready}$' -TimeoutSec 180 -Verbose");
        Assert.Empty(again.Errors);
        Assert.Equal(TestGuest.Ready, again.Output.Single().BaseObject);

        // The wait returned on the second boot's line: by then the log holds both.
        var log = File.ReadAllText(_ps.Paths.ForVm("p09").SerialLog);
        Assert.Equal(2, log.Split('\n').Count(l => l.TrimEnd('\r') == TestGuest.Ready));
        Assert.Equal(1, _ps.Ok("Get-HeadlessVmSerialLog p09").Count(o => (string)o.BaseObject == TestGuest.Ready));
        _ps.Ok("Stop-HeadlessVm p09 -Force");
    }
}
