namespace HeadlessVm.Core.Model;

/// <summary>A disk image attached to a VM: the user's file and the format qemu is told it has.</summary>
public sealed record DiskSpec(string Path, string Format)
{
    public override string ToString() => Path;
}
