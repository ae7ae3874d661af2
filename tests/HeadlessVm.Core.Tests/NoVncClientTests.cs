using HeadlessVm.Core.Console;

namespace HeadlessVm.Core.Tests;

/// <summary>A web root is checked for what vnc.html really loads: its scripts and every module they import.</summary>
public sealed class NoVncClientTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hvm-novnc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A copy of Debian's noVNC without <paramref name="left"/> (a folder or a file, relative).</summary>
    private string CopyWithout(string left)
    {
        var copy = Path.Combine(_root, Path.GetFileName(left));
        foreach (var file in Directory.EnumerateFiles(ConsoleSettings.DefaultWebRoot, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(ConsoleSettings.DefaultWebRoot, file);
            if (relative == left || relative.StartsWith(left + "/", StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, relative))!);
            File.Copy(file, Path.Combine(copy, relative));
        }

        return copy;
    }

    [Fact]
    public void Debians_noVNC_is_complete()
    {
        Assert.Empty(NoVncClient.MissingFiles(ConsoleSettings.DefaultWebRoot));
    }

    [Theory]
    [InlineData("app", "app/ui.js")]
    [InlineData("core", "core/rfb.js")]
    [InlineData("vendor", "vendor/pako/lib/zlib/inflate.js")]
    [InlineData("core/decoders/tight.js", "core/decoders/tight.js")]
    public void A_web_root_without_what_the_page_loads_is_named_with_the_missing_files(string left, string missing)
    {
        var root = CopyWithout(left);
        Assert.True(File.Exists(Path.Combine(root, "vnc.html")));
        var missed = NoVncClient.MissingFiles(root);
        Assert.Contains(missing, missed);
        var error = Assert.Throws<HeadlessVmException>(() => ConsoleSettings.Check("b1", new BridgeRequest(null, "127.0.0.1:5901", "b1", null, null, root, null, null)));
        Assert.Equal("InvalidWebRoot", error.ErrorId);
        Assert.Contains(missed[0], error.Message);
    }

    [Fact]
    public void A_folder_without_vnc_html_is_named_as_such()
    {
        Assert.Equal(new[] { "vnc.html" }, NoVncClient.MissingFiles(_root));
        Assert.Contains("has no vnc.html", Assert.Throws<HeadlessVmException>(() =>
            ConsoleSettings.Check("b1", new BridgeRequest(null, "127.0.0.1:5901", "b1", null, null, _root, null, null))).Message);
    }
}
