using System.Management.Automation;

namespace HeadlessVm.Tests;

/// <summary>
/// Values the core checks (for every backend and caller) and no cmdlet attribute repeats: out of range,
/// each is a catalogued error aimed at the VM (or disk), and nothing is left behind.
/// </summary>
[Collection("PowerShell")]
public sealed class CoreChecksTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    [Theory]
    [InlineData("New-HeadlessVm c1 -NoStart -MemoryMB 8", "InvalidMemorySize", "c1")]
    [InlineData("New-HeadlessVm c1 -NoStart -MemoryMB 16777217", "InvalidMemorySize", "c1")]
    [InlineData("New-HeadlessVm c1 -NoStart -ProcessorCount 0", "InvalidProcessorCount", "c1")]
    [InlineData("New-HeadlessVm c1 -NoStart -ListenAddress localhost", "InvalidListenAddress", "c1")]
    public void A_VM_definition_out_of_range_is_refused_by_the_core_and_nothing_is_written(string script, string id, string target)
    {
        var error = Assert.Single(_ps.Run(script).Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(target, error.TargetObject);
        Assert.Empty(_ps.Ok("Get-HeadlessVm"));
    }

    [Fact]
    public void A_negative_disk_size_is_InvalidDiskSize_and_makes_no_file()
    {
        var error = Assert.Single(_ps.Run("New-HeadlessVmDisk neg.qcow2 -SizeGB -1").Errors);
        Assert.Equal("InvalidDiskSize", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(Path.Combine(_ps.WorkFolder, "neg.qcow2"), error.TargetObject);
        Assert.False(File.Exists(Path.Combine(_ps.WorkFolder, "neg.qcow2")));
    }

    [Theory]
    [InlineData("Start-VncBridge -Target 127.0.0.1:5999 -WebPort 0", "InvalidWebPort", "127.0.0.1-5999")]
    [InlineData("Start-VncBridge -Target 127.0.0.1:5999 -ListenAddress ' '", "InvalidListenAddress", "127.0.0.1-5999")]
    [InlineData("Wait-HeadlessVm w1 -For Crashed -TimeoutSec 1", "InvalidWaitState", "w1")]
    public void Console_and_wait_settings_out_of_range_are_refused_for_each_target(string script, string id, string target)
    {
        _ps.Ok("New-HeadlessVm w1 -MemoryMB 64 -NoStart | Out-Null");
        var error = Assert.Single(_ps.Run(script).Errors);
        Assert.Equal(id, error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(target, error.TargetObject);
        Assert.Empty(_ps.Ok("Get-VncBridge"));
        Assert.False(Directory.Exists(_ps.Paths.ConsolesFolder) && Directory.EnumerateFileSystemEntries(_ps.Paths.ConsolesFolder).Any());
    }
}
