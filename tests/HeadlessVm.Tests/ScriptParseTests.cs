using System.Management.Automation.Language;

namespace HeadlessVm.Tests;

/// <summary>Every PowerShell script the project ships or runs parses: build.ps1, build/, examples/, tests/pester/.</summary>
public sealed class ScriptParseTests
{
    private static List<string> Files()
    {
        var root = RepoPaths.Root;
        return new[] { Path.Combine(root, "build.ps1") }
            .Concat(new[] { "build", "examples", Path.Combine("tests", "pester") }
                .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.ps1", SearchOption.AllDirectories)))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in Files())
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_script_parses_without_errors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(RepoPaths.Root, relativePath), out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Fact]
    public void The_scripts_that_must_exist_do()
    {
        var scripts = Files();
        foreach (var expected in new[]
                 {
                     "build.ps1", "examples/lab-from-csv.ps1", "examples/boot-wait-screenshot.ps1", "examples/teardown.ps1",
                     "tests/pester/Lifecycle.Tests.ps1", "tests/pester/Console.Tests.ps1", "tests/pester/Guest.Tests.ps1",
                 })
        {
            Assert.Contains(expected, scripts);
        }
    }
}
