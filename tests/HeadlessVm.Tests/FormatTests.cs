using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HeadlessVm.Tests;

/// <summary>What the prompt prints: the format file's views, rendered by the real formatter in the runspace.</summary>
[Collection("PowerShell")]
public sealed class FormatTests : IDisposable
{
    private readonly PowerShellSession _ps = new();

    public void Dispose() => _ps.Dispose();

    private string Render(string script) => string.Concat(_ps.Ok(script).Select(o => o.ToString()));

    private static int VncPort(System.Management.Automation.PSObject vm) => (int)vm.Properties["VncPort"].Value;

    [Fact]
    public void Get_HeadlessVm_prints_a_table_that_fits_120_columns()
    {
        // The VNC column shows the ports the allocator chose (other programs here may hold the first ones).
        var running = VncPort(_ps.Ok("New-HeadlessVm -Name fw1 -MemoryMB 64 -Accelerator Tcg").Single());
        var stopped = VncPort(_ps.Ok("New-HeadlessVm -Name a-very-long-vm-name-that-goes-on-and-on-for-sixty-three-chars-x -MemoryMB 64 -NoStart").Single());

        var text = Render("Get-HeadlessVm | Out-String -Width 120");
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 120, $"{l.Length} columns: {l}"));

        var header = lines.First(l => l.TrimStart().StartsWith("Name", StringComparison.Ordinal));
        Assert.Matches(@"^Name\s+State\s+CPUs\s+MemoryMB\s+VNC\s+Console\s+Uptime$", header.Trim());
        Assert.Matches($@"^fw1\s+Running\s+1\s+64\s+127\.0\.0\.1:{running}\s+\d+\.\d\d:\d\d:\d\d$", lines.Single(l => l.StartsWith("fw1 ", StringComparison.Ordinal)).Trim());
        Assert.Matches($@"\sStopped\s+1\s+64\s+127\.0\.0\.1:{stopped}\s*$", lines.Single(l => l.StartsWith("a-very-long", StringComparison.Ordinal)));
    }

    [Fact]
    public void Format_List_shows_the_details_of_a_VM()
    {
        var vm = _ps.Ok("New-HeadlessVm -Name fw1 -MemoryMB 64 -NoStart -PortForward '2222:22'").Single();
        var text = Render("Get-HeadlessVm fw1 | Format-List | Out-String -Width 120");
        Assert.Matches($@"Vnc\s+: 127\.0\.0\.1:{VncPort(vm)} \(display {vm.Properties["VncDisplay"].Value}\)", text);
        Assert.Matches(@"PortForward\s+: 127\.0\.0\.1:2222:22|PortForward\s+: .*2222.*22", text);
        Assert.Matches(@"Path\s+: " + Regex.Escape(_ps.StateRoot), text);
        Assert.Matches(@"Accelerator\s+: Auto", text);
    }

    [Fact]
    public void Every_output_type_of_the_module_has_a_table_view_and_a_list_view()
    {
        var file = XDocument.Load(Path.Combine(RepoPaths.Root, "src", "HeadlessVm", "HeadlessVm.Format.ps1xml"));
        var views = file.Descendants("View")
            .Select(v => (Type: v.Element("ViewSelectedBy")!.Element("TypeName")!.Value.Trim(),
                          Kind: v.Element("TableControl") is not null ? "Table" : v.Element("ListControl") is not null ? "List" : "Other"))
            .ToList();

        var outputTypes = _ps.Ok("""
            Get-Command -Module HeadlessVm -CommandType Cmdlet | ForEach-Object OutputType | ForEach-Object Name |
                Where-Object { $_ -like 'HeadlessVm.*' } | Sort-Object -Unique
            """).Select(o => o.ToString()).ToList();
        Assert.Contains("HeadlessVm.Core.Model.VmInfo", outputTypes);

        var problems = outputTypes.SelectMany(t => new[] { "Table", "List" }
                .Where(kind => !views.Contains((t, kind)))
                .Select(kind => $"{t}: no {kind} view"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // FormatsToProcess loads the file that the build copies beside the assembly.
        var loaded = _ps.Ok("(Get-FormatData -TypeName HeadlessVm.Core.Model.VmInfo).FormatViewDefinition | ForEach-Object { $_.Control.GetType().Name }")
            .Select(o => o.ToString()).ToList();
        Assert.Contains("TableControl", loaded);
        Assert.Contains("ListControl", loaded);
    }

    [Fact]
    public void With_a_bridge_the_VM_table_shows_where_its_console_is_and_the_bridge_views_render()
    {
        _ps.Ok("New-HeadlessVm -Name fw1 -MemoryMB 64 -Accelerator Tcg | Start-VncBridge | Out-Null");
        var port = (int)_ps.Ok("(Get-VncBridge fw1).WebPort").Single().BaseObject;
        var vnc = VncPort(_ps.Ok("Get-HeadlessVm fw1").Single());

        var table = Render("Get-HeadlessVm | Out-String -Width 120");
        Assert.Matches($@"(?m)^fw1\s+Running\s+1\s+64\s+127\.0\.0\.1:{vnc}\s+http://127\.0\.0\.1:{port}\s+\d+\.\d\d:\d\d:\d\d\s*$", table);
        var list = Render("Get-HeadlessVm | Format-List | Out-String -Width 200");
        Assert.Matches(@"ConsoleUrl\s+: http://127\.0\.0\.1:\d+/vnc\.html\?", list);

        var bridges = Render("Get-VncBridge | Out-String -Width 120");
        Assert.All(bridges.Split('\n'), l => Assert.True(l.TrimEnd('\r').Length <= 120, l));
        Assert.Contains("fw1", bridges);
        var bridgeList = Render("Get-VncBridge | Format-List | Out-String -Width 200");
        Assert.Matches($@"Listen\s+: 127\.0\.0\.1:{port}", bridgeList);
        Assert.Matches($@"Target\s+: 127\.0\.0\.1:{vnc}", bridgeList);
    }

    [Fact]
    public void Disk_images_print_as_a_table_and_a_list()
    {
        _ps.Ok("New-HeadlessVmDisk -Path ./d1.qcow2 -SizeGB 2 | Out-Null");
        var table = Render("Get-HeadlessVmDisk ./d1.qcow2 | Out-String -Width 120");
        Assert.All(table.Split('\n'), l => Assert.True(l.TrimEnd('\r').Length <= 120, l));
        Assert.Matches(@"(?m)^qcow2\s+2\s", table);
        var list = Render("Get-HeadlessVmDisk ./d1.qcow2 | Format-List | Out-String -Width 200");
        Assert.Matches(@"VirtualSize\s+: 2,147,483,648 bytes \(2 GB\)", list);
    }
}
