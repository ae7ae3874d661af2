using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>
/// Starts websockify in about half its usual time, so that a console is up as soon as its VM.
/// Debian's /usr/bin/websockify is a setuptools entry script: it looks itself up through
/// importlib.metadata (tens of milliseconds), and websockify then imports numpy (about 80 ms) only
/// to unmask what the browser sends, which for a VNC console is keys and mouse moves, a few bytes.
/// So the script's own interpreter runs the package directly (python3 -m websockify), and a stand-in
/// numpy that refuses to import makes websockify take its pure-Python unmasking path. The arguments,
/// and so the daemon's command line, are websockify's own. Anything else (a websockify that is not a
/// Python entry script) runs unchanged.
/// </summary>
public static class WebsockifyLauncher
{
    private const string NumpyStandIn =
        "# HeadlessVm: websockify imports numpy only to unmask browser-to-server WebSocket frames (keys\n" +
        "# and mouse moves on a VNC console); it falls back to pure Python, and starts 80 ms sooner.\n" +
        "raise ImportError('numpy is skipped for websockify by HeadlessVm')\n";

    /// <summary>The command that runs <paramref name="command"/> (websockify's argv) quickly, with its environment.</summary>
    public static NativeCommand Prepare(NativeCommand command, StatePaths paths)
    {
        var script = NativeRunner.FindExecutable(command.Program);
        var interpreter = script is null ? null : PythonInterpreterOf(script);
        if (interpreter is null)
        {
            return command;
        }

        var standIns = paths.PythonFolder;
        var numpy = paths.NumpyStandInFile;
        if (PrivateFiles.TryReadAllText(numpy) != NumpyStandIn)
        {
            PrivateFiles.WriteRuntimeText(numpy, NumpyStandIn);
        }

        var pythonPath = Environment.GetEnvironmentVariable("PYTHONPATH");
        return new NativeCommand(interpreter, new[] { "-m", "websockify" }.Concat(command.Arguments).ToArray())
        {
            Environment = new Dictionary<string, string>
            {
                ["PYTHONPATH"] = string.IsNullOrEmpty(pythonPath) ? standIns : standIns + ":" + pythonPath,
                // websockify warns that it has no numpy; that is the point.
                ["PYTHONWARNINGS"] = "ignore:no 'numpy' module",
            },
        };
    }

    /// <summary>
    /// The interpreter of a setuptools entry script for websockify ("#! /usr/bin/python3"), when it is an
    /// absolute path to a Python; null for anything else (a binary, an env shebang, another program).
    /// </summary>
    internal static string? PythonInterpreterOf(string script)
    {
        string head;
        try
        {
            using var reader = new StreamReader(script);
            var buffer = new char[4096];
            head = new string(buffer, 0, reader.ReadBlock(buffer, 0, buffer.Length));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (!head.StartsWith("#!", StringComparison.Ordinal) || !head.Contains("'websockify'", StringComparison.Ordinal))
        {
            return null;
        }

        var interpreter = head[2..head.IndexOf('\n')].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return interpreter is not null && interpreter.StartsWith('/') && Path.GetFileName(interpreter).StartsWith("python", StringComparison.Ordinal)
            && File.Exists(interpreter)
            ? interpreter
            : null;
    }
}
