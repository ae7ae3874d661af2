using System.Management.Automation;
using HeadlessVm.Core.Model;

namespace HeadlessVm.Commands;

/// <summary>
/// Describes disk images through qemu-img info: format, virtual and actual size, backing file, and the
/// dirty/corrupt flags. Takes paths (wildcards) or files from Get-ChildItem.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HeadlessVmDisk", DefaultParameterSetName = PathSet)]
[OutputType(typeof(VmDisk))]
public sealed class GetHeadlessVmDiskCommand : HeadlessVmCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Paths taken as written; files piped from Get-ChildItem bind here through PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var file in Resolve())
        {
            Try(file, () => WriteObject(Context.Disks.GetInfo(file, CancellationToken)));
        }
    }

    private IEnumerable<string> Resolve()
    {
        if (ParameterSetName == LiteralPathSet)
        {
            return LiteralPath.Select(p => GetUnresolvedProviderPathFromPSPath(p));
        }

        var result = new List<string>();
        foreach (var p in Path)
        {
            if (!WildcardPattern.ContainsWildcardCharacters(p))
            {
                // A missing file is DiskNotFound from the core, not the provider's ItemNotFound.
                result.Add(GetUnresolvedProviderPathFromPSPath(p));
                continue;
            }

            try
            {
                result.AddRange(GetResolvedProviderPathFromPSPath(p, out _));
            }
            catch (ItemNotFoundException)
            {
                // A wildcard that matches nothing is not an error, as with Get-ChildItem.
            }
        }

        return result;
    }
}
