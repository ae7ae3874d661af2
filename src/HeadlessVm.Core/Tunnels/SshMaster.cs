using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.Processes;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Tunnels;

/// <summary>
/// One host's OpenSSH ControlMaster: a detached <c>ssh -M -N -f -S ssh/HOST.ctl</c> that logged in once, and through
/// which each console adds a forward (what <c>ssh -S ctl -O forward -L SOCKET:127.0.0.1:PORT</c> asks, sent straight to
/// the control socket by <see cref="SshMux"/>) at the cost of a local round trip instead of a login. Found again by any later process as a <see cref="Daemon"/>: its command line names
/// its control socket, which is in the state folder. Every method runs under the host's tunnel lock
/// (<see cref="StatePaths.SshHostFiles.LockFile"/>), which <see cref="SshTunnels"/> holds.
/// </summary>
internal sealed class SshMaster
{
    /// <summary>How long the login may take before it is HostTimeout (ssh's own ConnectTimeout, when set, comes first).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    private readonly StatePaths.SshHostFiles _files;
    private readonly SshDestination _destination;
    private readonly string _hostName;
    private readonly IVmHost _host;

    /// <param name="hostName">The host as the user named it (ComputerName): the target of its errors.</param>
    public SshMaster(StatePaths.SshHostFiles files, SshDestination destination, string hostName, IVmHost host)
    {
        _files = files;
        _destination = destination;
        _hostName = hostName;
        _host = host;
        Daemon = new Daemon(files.PidFile, IsMaster);
    }

    public Daemon Daemon { get; }

    /// <summary>
    /// The master's argv after the program. BatchMode: nothing prompts. StrictHostKeyChecking=yes: an unknown or changed
    /// host key fails (never accepted, whatever ssh_config says). ExitOnForwardFailure: the login fails rather than run
    /// without what it was asked for. ClearAllForwardings: no LocalForward of the user's ssh_config opens ports here.
    /// StreamLocalBindMask=0177: each forward's socket is 0600; StreamLocalBindUnlink: a socket left by a killed master is
    /// replaced. -E: once detached, ssh's messages go to the log (ssh(1), ssh_config(5)).
    /// </summary>
    public IReadOnlyList<string> Arguments() =>
        new[]
        {
            "-M", "-N", "-f", "-S", _files.ControlSocket, "-E", _files.LogFile,
            "-o", "ControlPersist=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ExitOnForwardFailure=yes",
            "-o", "ClearAllForwardings=yes", "-o", "StreamLocalBindMask=0177", "-o", "StreamLocalBindUnlink=yes",
        }
        .Concat(_destination.LoginOptions())
        .Concat(new[] { "--", _destination.Host })
        .ToArray();

    /// <summary>
    /// The PID of the master that runs for this destination with its control socket in place; null when there is none.
    /// A master of this host that logs in elsewhere (its URI changed) or lost its control socket is stopped.
    /// </summary>
    public int? Running()
    {
        if (Daemon.Find() is not { } pid)
        {
            return null;
        }

        if (IsCurrent(pid) && File.Exists(_files.ControlSocket))
        {
            return pid;
        }

        _host.Verbose($"The ssh master of {_hostName} (PID {pid}) no longer fits its host; stopping it.");
        Stop(pid);
        return null;
    }

    /// <summary>
    /// Logs in and leaves the master running; returns its PID. What an earlier master left (a process that lost its
    /// pidfile, a stale control socket, which would make ssh run without multiplexing) is cleared first. Failures:
    /// HostKeyNotTrusted, HostAuthenticationFailed, HostUnknown, HostUnreachable (from ssh's words), HostTimeout after
    /// <see cref="StartTimeout"/>, else ConsoleTunnelFailed; nothing is left running after any of them.
    /// </summary>
    public int Start(CancellationToken cancellationToken)
    {
        Clear();
        PrivateFiles.WriteRuntimeText(_files.LogFile, string.Empty);
        var command = new NativeCommand(_destination.Program, Arguments());
        _host.Verbose("Running: " + command.Display);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        NativeResult result;
        try
        {
            result = NativeRunner.Run(command, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Clear();
            cancellationToken.ThrowIfCancellationRequested();
            throw HeadlessVmErrors.HostTimeout(_hostName, "ssh://" + _destination.Display, StartTimeout);
        }

        var said = Said(result);
        if (result.ExitCode != 0)
        {
            Clear();
            throw LoginFailure(said, result.ExitCode);
        }

        // ssh -f forks the master and exits, so the master is the process left with this control socket on its command line.
        if (Daemon.FindAll().Where(IsCurrent).Order().FirstOrDefault() is not (> 0 and var pid) || !File.Exists(_files.ControlSocket))
        {
            Clear();
            throw HeadlessVmErrors.ConsoleTunnelFailed(_hostName, _hostName, "start its master", said, _destination.Program, result.ExitCode);
        }

        Daemon.RecordPid(pid);
        _host.Verbose($"The ssh master of {_hostName} runs: PID {pid}, control socket {_files.ControlSocket}.");
        return pid;
    }

    /// <summary>
    /// Asks the master to forward the record's socket to its VNC server; ConsoleTunnelFailed with ssh's words when it will
    /// not, its target <paramref name="vmName"/> (the bridge's name when not given).
    /// </summary>
    public void Forward(ForwardRecord forward, CancellationToken cancellationToken, string? vmName = null)
    {
        if (Mux(forward, cancel: false, cancellationToken) is { } muxed)
        {
            if (muxed.Length > 0)
            {
                throw HeadlessVmErrors.ConsoleTunnelFailed(vmName ?? forward.BridgeName, _hostName, $"forward {forward.Socket} to {forward.Address}:{forward.Port}",
                    muxed, _destination.Program, 0);
            }

            return;
        }

        var result = Control(cancellationToken, "forward", "-L", forward.Spec);
        if (result.ExitCode != 0)
        {
            throw HeadlessVmErrors.ConsoleTunnelFailed(vmName ?? forward.BridgeName, _hostName, $"forward {forward.Socket} to {forward.Address}:{forward.Port}",
                Said(result), _destination.Program, result.ExitCode);
        }
    }

    /// <summary>Asks the master to stop a forward (its connections stay until they close); best effort, false when ssh refused.</summary>
    public bool Cancel(ForwardRecord forward, CancellationToken cancellationToken)
    {
        if (Mux(forward, cancel: true, cancellationToken) is { } muxed)
        {
            return muxed.Length == 0;
        }

        var result = Control(cancellationToken, "cancel", "-L", forward.Spec);
        // ssh -O cancel exits 0 even when the master refused; its message says so.
        return result.ExitCode == 0 && !result.StandardError.Contains("failed", StringComparison.Ordinal);
    }

    /// <summary>Ends the master (ssh -O exit, then TERM/KILL if it lingers) and forgets it.</summary>
    public void Exit(int pid, CancellationToken cancellationToken = default)
    {
        _host.Verbose($"The last console of {_hostName} is gone: ending its ssh master (PID {pid}).");
        try
        {
            Control(cancellationToken, "exit");
        }
        catch (HeadlessVmException e)
        {
            _host.Debug($"ssh -O exit: {e.Message}");
        }

        if (!ProcessInfo.WaitForExit(pid, StopWait, cancellationToken))
        {
            Stop(pid);
        }

        Clear();
    }

    /// <summary>Stops every master of this control socket (whatever its pidfile says) and removes the socket and pidfile.</summary>
    public void Clear()
    {
        foreach (var stray in Daemon.FindAll())
        {
            Stop(stray);
        }

        PrivateFiles.TryDelete(_files.ControlSocket);
        Daemon.ForgetPid();
    }

    private void Stop(int pid) => Processes.Daemon.Stop(pid, StopWait);

    /// <summary>
    /// The request through the control socket itself (<see cref="SshMux"/>): empty when the master did it, its words
    /// when it refused, null when the socket did not answer as a master's should (then the ssh program is asked).
    /// </summary>
    private string? Mux(ForwardRecord forward, bool cancel, CancellationToken cancellationToken)
    {
        try
        {
            var refused = SshMux.Forward(_files.ControlSocket, forward, cancel, CommandTimeout, cancellationToken);
            _host.Debug($"ssh master of {_hostName}: {(cancel ? "cancel" : "forward")} -L {forward.Spec} through {_files.ControlSocket}: {refused ?? "done"}.");
            return refused ?? string.Empty;
        }
        catch (SshMuxException e)
        {
            _host.Debug($"The control socket {_files.ControlSocket} did not answer as an ssh master's ({e.Message}); asking {_destination.Program} instead.");
            return null;
        }
    }

    private NativeResult Control(CancellationToken cancellationToken, string command, params string[] arguments)
    {
        var control = new NativeCommand(_destination.Program,
            new[] { "-S", _files.ControlSocket, "-O", command }.Concat(arguments).Concat(new[] { "-o", "BatchMode=yes", "--", _destination.Host }).ToArray());
        _host.Debug("Running: " + control.Display);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            return NativeRunner.Run(control, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw HeadlessVmErrors.HostTimeout(_hostName, $"ssh -O {command} through {_files.ControlSocket}", CommandTimeout);
        }
    }

    private HeadlessVmException LoginFailure(string said, int exitCode) =>
        SshMessages.Classify(said) is { } known
            ? HeadlessVmErrors.SshLoginFailed(known.Id, known.Kind, _hostName, _destination.Display, said, known.Remedy, _destination.Program, exitCode)
            : HeadlessVmErrors.ConsoleTunnelFailed(_hostName, _hostName, "log in", said, _destination.Program, exitCode);

    /// <summary>What ssh said: its log (-E sends its messages there) and anything a wrapper printed.</summary>
    private string Said(NativeResult result) =>
        string.Join('\n', new[] { PrivateFiles.TryReadAllText(_files.LogFile), result.StandardError, result.StandardOutput }
            .Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()));

    /// <summary>A master of this control socket: -M, and -S followed by the socket's path.</summary>
    private bool IsMaster(IReadOnlyList<string> argv)
    {
        var hasControl = false;
        for (var i = 0; i + 1 < argv.Count; i++)
        {
            hasControl |= argv[i] == "-S" && argv[i + 1] == _files.ControlSocket;
        }

        return hasControl && argv.Contains("-M");
    }

    /// <summary>True when the master's argv ends with this destination's (a wrapper such as ssh -F FILE may come first).</summary>
    private bool IsCurrent(int pid)
    {
        var wanted = Arguments();
        return ProcessInfo.CommandLine(pid) is { } argv && argv.Count >= wanted.Count && argv.Skip(argv.Count - wanted.Count).SequenceEqual(wanted);
    }
}
