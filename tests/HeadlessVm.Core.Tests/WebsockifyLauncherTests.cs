using HeadlessVm.Core.Console;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tests;

/// <summary>How websockify is started fast: its own interpreter runs the package, with numpy skipped.</summary>
public sealed class WebsockifyLauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hvm-wsl-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Debians_websockify_entry_script_runs_as_its_interpreter_dash_m_websockify_with_the_numpy_stand_in_first_on_the_path()
    {
        var script = NativeRunner.FindExecutable("websockify");
        Assert.NotNull(script);
        Assert.Equal("/usr/bin/python3", WebsockifyLauncher.PythonInterpreterOf(script));

        var logical = new NativeCommand("websockify", new[] { "--daemon", "--log-file", "/x/w.log", "127.0.0.1:6080" });
        var prepared = WebsockifyLauncher.Prepare(logical, new StatePaths(_root));
        Assert.Equal("/usr/bin/python3", prepared.Program);
        Assert.Equal(new[] { "-m", "websockify", "--daemon", "--log-file", "/x/w.log", "127.0.0.1:6080" }, prepared.Arguments);
        Assert.StartsWith(Path.Combine(_root, "python"), prepared.Environment!["PYTHONPATH"]);
        var standIn = File.ReadAllText(Path.Combine(_root, "python", "numpy", "__init__.py"));
        Assert.Contains("raise ImportError", standIn);
        Assert.StartsWith("PYTHONPATH=", prepared.Display);
        Assert.Contains("/usr/bin/python3 -m websockify --daemon", prepared.Display);
    }

    [Fact]
    public void With_the_stand_in_websockify_still_loads_and_numpy_does_not()
    {
        var prepared = WebsockifyLauncher.Prepare(new NativeCommand("websockify", Array.Empty<string>()), new StatePaths(_root));
        // The same interpreter and environment, asked what websockify's WebSocket module sees.
        var probe = new NativeCommand(prepared.Program, new[] { "-c", "import websockify.websocket as w, sys; print(w.numpy is None, 'websockify' in sys.modules)" })
        {
            Environment = prepared.Environment,
        };
        var result = NativeRunner.Run(probe);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("True True", result.StandardOutput.Trim());
        Assert.DoesNotContain("numpy", result.StandardError);
    }

    [Fact]
    public void Anything_but_a_python_entry_script_for_websockify_runs_unchanged()
    {
        var binary = Path.Combine(_root, "binary");
        File.WriteAllBytes(binary, new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 0 });
        Assert.Null(WebsockifyLauncher.PythonInterpreterOf(binary));

        var envShebang = Path.Combine(_root, "env-script");
        File.WriteAllText(envShebang, "#!/usr/bin/env python3\nload_entry_point('websockify==0.10.0', 'console_scripts', 'websockify')\n");
        Assert.Null(WebsockifyLauncher.PythonInterpreterOf(envShebang));

        var other = Path.Combine(_root, "other");
        File.WriteAllText(other, "#!/usr/bin/python3\nprint('hello')\n");
        Assert.Null(WebsockifyLauncher.PythonInterpreterOf(other));
        Assert.Null(WebsockifyLauncher.PythonInterpreterOf(Path.Combine(_root, "missing")));
    }
}
