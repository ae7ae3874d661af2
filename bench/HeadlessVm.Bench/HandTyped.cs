using System.Globalization;

namespace HeadlessVm.Bench;

/// <summary>
/// The commands a user types without the module, run as a shell would (each to its exit). Their pidfile
/// and log live in the run's <see cref="Scratch"/> folder, so that its release finds and stops them.
/// </summary>
public static class HandTyped
{
    public const string Qemu = "qemu-system-x86_64";

    /// <summary>The /usr/bin/websockify program, as typed.</summary>
    public const string Websockify = "/usr/bin/websockify";

    public const string NoVncRoot = "/usr/share/novnc";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// qemu -daemonize on a VNC display: the same VM as the module's (x86_64, 128 MB, default machine and
    /// SeaBIOS, no disk, no NIC). No -accel: qemu's default is TCG; -cpu max as the module picks under TCG.
    /// Returns when the daemon is ready (its VNC port listens) and the foreground qemu has exited.
    /// </summary>
    public static ProgramResult StartQemu(Scratch scratch, int display)
    {
        var pidFile = scratch.PathOf("qemu.pid");
        var result = Check(ProcessTools.Run(Qemu, new[]
        {
            "-m", "128", "-cpu", "max", "-display", "none",
            "-vnc", "127.0.0.1:" + display.ToString(CultureInfo.InvariantCulture),
            "-nic", "none", "-pidfile", pidFile, "-daemonize",
        }, Timeout), Qemu);
        scratch.Track(ProcessTools.ReadPidFile(pidFile));
        return result;
    }

    /// <summary>
    /// websockify -D from 127.0.0.1:<paramref name="webPort"/> to a VNC port, serving noVNC when
    /// <paramref name="serveNoVnc"/>. It writes no pidfile: its --log-file path in the scratch folder names it.
    /// </summary>
    public static ProgramResult StartWebsockify(Scratch scratch, int webPort, int vncPort, bool serveNoVnc)
    {
        var args = new List<string> { "-D", "--log-file", scratch.PathOf("websockify.log") };
        if (serveNoVnc)
        {
            args.Add("--web=" + NoVncRoot);
        }

        args.Add("127.0.0.1:" + webPort.ToString(CultureInfo.InvariantCulture));
        args.Add("127.0.0.1:" + vncPort.ToString(CultureInfo.InvariantCulture));
        return Check(ProcessTools.Run(Websockify, args, Timeout), Websockify);
    }

    /// <summary>
    /// websockify -D serving noVNC and every console whose token line is in <paramref name="tokenFolder"/>
    /// (its TokenFile plugin re-reads the folder on each connection): the hand-typed way to one server for many VMs.
    /// </summary>
    public static ProgramResult StartTokenWebsockify(Scratch scratch, int webPort, string tokenFolder) =>
        Check(ProcessTools.Run(Websockify, new[]
        {
            "-D", "--log-file", scratch.PathOf("websockify.log"), "--web=" + NoVncRoot,
            "--token-plugin", "TokenFile", "--token-source", tokenFolder,
            "127.0.0.1:" + webPort.ToString(CultureInfo.InvariantCulture),
        }, Timeout), Websockify);

    private static ProgramResult Check(ProgramResult result, string program) => result.ExitCode == 0
        ? result
        : throw new BenchException($"{program} exited with {result.ExitCode}: {(result.StandardError + result.StandardOutput).Trim()}");
}
