using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Hosts;
using HeadlessVm.Core.State;
using HeadlessVm.Core.Tunnels;

namespace HeadlessVm.Core.Tests.Tunnels;

/// <summary>The parts of the console tunnels that are data: ssh destinations from URIs, routes, the master's argv, the files under ssh/.</summary>
public sealed class TunnelPartsTests
{
    [Fact]
    public void An_ssh_URI_gives_the_tunnel_its_program_user_port_and_key_and_the_libssh_transports_their_known_hosts()
    {
        var bed = SshDestination.FromUri("qemu+ssh://root@10.231.0.11/system?command=/tmp/bed/ssh&no_tty=1")!;
        Assert.Equal(new SshDestination("/tmp/bed/ssh", "10.231.0.11", "root", null, null, null), bed);
        Assert.Equal(new[] { "-l", "root" }, bed.LoginOptions());

        var full = SshDestination.FromUri("qemu+ssh://admin@web1.example:2222/system?keyfile=%2Fhome%2Fa%2Fid%20key&no_tty=1")!;
        Assert.Equal(("ssh", "web1.example", "admin", 2222, "/home/a/id key"), (full.Program, full.Host, full.User, full.Port, full.KeyFile));
        Assert.Equal(new[] { "-p", "2222", "-l", "admin", "-i", "/home/a/id key" }, full.LoginOptions());
        Assert.Equal("admin@web1.example:2222", full.Display);

        // libvirt's own ssh clients read known_hosts= and run no program: command= is not theirs.
        var libssh = SshDestination.FromUri("qemu+libssh2://root@h2/system?keyfile=/k&known_hosts=/kh&command=/not/run")!;
        Assert.Equal(new SshDestination("ssh", "h2", "root", null, "/k", "/kh"), libssh);
        Assert.Equal(new[] { "-l", "root", "-i", "/k", "-o", "UserKnownHostsFile=/kh" }, libssh.LoginOptions());

        Assert.Equal(new SshDestination("/bin/myssh", "::1", "u", 22, null, null), SshDestination.FromUri("ssh://u@[::1]:22?command=/bin/myssh"));
        Assert.Null(SshDestination.FromUri("qemu:///system"));
    }

    [Theory]
    [InlineData("qemu:///system", null, ConsoleRouteKind.ThisMachine)]
    [InlineData("qemu+unix:///system?socket=/run/x", null, ConsoleRouteKind.ThisMachine)]
    [InlineData("qemu+ssh://root@h1/system?no_tty=1", null, ConsoleRouteKind.Ssh)]
    [InlineData("qemu+libssh2://root@h1/system", null, ConsoleRouteKind.Ssh)]
    [InlineData("qemu+tls://h1/system", null, ConsoleRouteKind.None)]
    [InlineData("qemu+tcp://h1/system", null, ConsoleRouteKind.None)]
    [InlineData("qemu://h1/system", null, ConsoleRouteKind.None)]
    [InlineData("qemu+tls://h1/system", "ssh://admin@h1", ConsoleRouteKind.Ssh)]
    [InlineData("qemu+tls://h1/system", "Direct", ConsoleRouteKind.Direct)]
    [InlineData("qemu+unix:///system?socket=/run/x", "ssh://root@h1", ConsoleRouteKind.Ssh)]
    [InlineData("qemu+ssh://root@h1/system", "Direct", ConsoleRouteKind.Direct)]
    public void The_route_to_a_hosts_consoles_comes_from_its_ConsoleVia_else_from_its_URI(string uri, string? consoleVia, ConsoleRouteKind kind)
    {
        var route = ConsoleRoute.For(new HostTarget("h1", uri), consoleVia);
        Assert.Equal(kind, route.Kind);
        Assert.Equal(kind == ConsoleRouteKind.Ssh, route.Ssh is not null);
        if (consoleVia is "ssh://admin@h1")
        {
            Assert.Equal(("admin", "h1"), (route.Ssh!.User, route.Ssh.Host));
        }

        if (kind == ConsoleRouteKind.Direct)
        {
            Assert.Equal("h1", route.DirectHost);
        }
    }

    [Theory]
    [InlineData("direct", "Direct")]
    [InlineData("ssh://root@10.0.0.1", "ssh://root@10.0.0.1")]
    [InlineData("SSH://root@h1:2222/?keyfile=/k&command=/bin/s", "ssh://root@h1:2222/?keyfile=/k&command=/bin/s")]
    public void A_ConsoleVia_is_Direct_or_an_ssh_endpoint(string given, string kept) =>
        Assert.Equal(kept, ConsoleRoute.ParseConsoleVia("h1", given));

    [Theory]
    [InlineData("tunnel", "neither Direct nor an ssh:// URI")]
    [InlineData("ssh://", "names no host")]
    [InlineData("ssh://h1:99999", "port")]
    [InlineData("ssh://h1/system", "has a path")]
    [InlineData("ssh://h1?no_tty=1", "'no_tty' is not one of its parameters")]
    [InlineData("ssh://root:pw@h1", "carries a password")]
    [InlineData("ssh://root@-oProxyCommand=touch", "begins with '-'")]
    [InlineData("ssh://root@h1#frag", "fragment")]
    [InlineData("ssh://h1?command=/a&command=/bin/false", "'command' is given twice")]
    [InlineData("ssh://h1?keyfile=", "'keyfile' has no value")]
    public void Anything_else_is_InvalidConsoleVia_naming_the_host(string given, string why)
    {
        var error = Assert.Throws<HeadlessVmException>(() => ConsoleRoute.ParseConsoleVia("h1", given));
        Assert.Equal((ErrorIds.InvalidConsoleVia, FailureKind.InvalidArgument, "h1"), (error.ErrorId, error.Kind, error.Target));
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void The_master_logs_in_once_in_batch_mode_with_strict_host_keys_and_private_sockets_and_no_forwards_of_its_own()
    {
        var paths = new StatePaths("/tmp/hvm-x");
        var master = new SshMaster(paths.ForSshHost("h1"), SshDestination.FromUri("qemu+ssh://root@h1:2200/system?keyfile=/k")!, "h1", NullVmHost.Instance);
        Assert.Equal(new[]
        {
            "-M", "-N", "-f", "-S", "/tmp/hvm-x/ssh/h1.ctl", "-E", "/tmp/hvm-x/ssh/h1.log",
            "-o", "ControlPersist=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ExitOnForwardFailure=yes",
            "-o", "ClearAllForwardings=yes", "-o", "StreamLocalBindMask=0177", "-o", "StreamLocalBindUnlink=yes",
            "-p", "2200", "-l", "root", "-i", "/k", "--", "h1",
        }, master.Arguments());
    }

    [Fact]
    public void Each_host_has_its_master_files_and_each_bridge_its_forward_under_ssh_and_names_too_long_for_a_socket_are_hashed()
    {
        var paths = new StatePaths("/tmp/hvm-x");
        var h1 = paths.ForSshHost("web.example.com");
        Assert.Equal(("/tmp/hvm-x/ssh/web.example.com.ctl", "/tmp/hvm-x/ssh/web.example.com.pid", "/tmp/hvm-x/ssh/web.example.com.lock"),
            (h1.ControlSocket, h1.PidFile, h1.LockFile));
        var forward = paths.ForForward("web.example.com~db1");
        Assert.Equal(("/tmp/hvm-x/ssh/web.example.com~db1.sock", "/tmp/hvm-x/ssh/web.example.com~db1.json"), (forward.Socket, forward.RecordFile));

        // ssh adds 17 characters to a control socket's path while it makes it; a socket's path holds 107 bytes.
        var longHost = new string('h', 63);
        Assert.Equal(longHost, paths.ForSshHost(longHost).Stem);
        var hashed = new StatePaths("/home/someone/.local/state/headlessvm").ForSshHost(longHost);
        Assert.Matches("^h-[0-9a-f]{12}$", hashed.Stem);
        Assert.True(hashed.ControlSocket.Length + StatePaths.ControlPathSuffix <= StatePaths.SocketPathLimit);
        var longVm = paths.ForForward("h1~" + new string('v', 100));
        Assert.Matches("^h1~f-[0-9a-f]{12}$", Path.GetFileNameWithoutExtension(longVm.Socket));
        Assert.Equal(paths.ForForward("h1~" + new string('v', 100)).Socket, longVm.Socket);
    }

    [Fact]
    public void The_hosts_under_ssh_are_found_by_their_files_whatever_dots_their_names_have()
    {
        using var store = new TempStore("hvm-ssh-");
        var ssh = Directory.CreateDirectory(store.Paths.SshFolder).FullName;
        foreach (var file in new[] { "web.example.com.lock", "h1.pid", "h2~db.json", "h2~db.sock", "h3.ctl.AbCdEfGhIjKlMnOp", ".h9.json.1.x.tmp" })
        {
            File.WriteAllText(Path.Combine(ssh, file), string.Empty);
        }

        Assert.Equal(new[] { "h1", "h2", "web.example.com" }, store.Paths.SshHosts().Select(h => h.Stem));
        Assert.Equal(new[] { Path.Combine(ssh, "h2~db.json") }, store.Paths.ForSshHost("h2").ForwardRecords());
    }

    [Fact]
    public void A_forward_names_its_socket_and_the_VNC_server_as_ssh_takes_them()
    {
        var v4 = new ForwardRecord("h1~a", "/s/h1~a.sock", "127.0.0.1", 5901, 42, DateTimeOffset.Now);
        Assert.Equal("/s/h1~a.sock:127.0.0.1:5901", v4.Spec);
        Assert.Equal("/s/h1~a.sock:[::1]:5900", (v4 with { Address = "::1", Port = 5900 }).Spec);
        Assert.True(v4.SameForward(v4 with { MasterPid = 7 }));
        Assert.False(v4.SameForward(v4 with { Port = 5902 }));
    }

    [Fact]
    public void A_forward_asked_of_the_master_through_its_control_socket_is_the_message_ssh_O_forward_sends()
    {
        // PROTOCOL.mux, MUX_C_OPEN_FWD: type, request id, MUX_FWD_LOCAL, listen path, PORT_STREAMLOCAL (-2), connect host, port.
        var forward = new ForwardRecord("h1~a", "/s/a.sock", "127.0.0.1", 5901, 42, DateTimeOffset.Now);
        var expected = Convert.FromHexString(
            "10000006" + "00000001" + "00000001" + "00000009" + Convert.ToHexString("/s/a.sock"u8) + "fffffffe" +
            "00000009" + Convert.ToHexString("127.0.0.1"u8) + "0000170d");
        Assert.Equal(expected, SshMux.Request(forward, cancel: false));
        Assert.Equal(new byte[] { 0x10, 0, 0, 0x07 }, SshMux.Request(forward, cancel: true)[..4]);
        Assert.Equal(expected[4..], SshMux.Request(forward, cancel: true)[4..]);
    }

    [Fact]
    public async Task A_control_socket_that_is_not_a_masters_is_a_mux_failure_so_the_ssh_program_is_asked_instead()
    {
        var folder = Directory.CreateTempSubdirectory("hvm-mux-");
        try
        {
            var forward = new ForwardRecord("h1~a", Path.Combine(folder.FullName, "a.sock"), "127.0.0.1", 5901, 42, DateTimeOffset.Now);
            Assert.Throws<SshMuxException>(() => SshMux.Forward(Path.Combine(folder.FullName, "none.ctl"), forward, false, TimeSpan.FromSeconds(5), default));

            // A socket that accepts and says something else (an HTTP server, say) is not taken for a master.
            var path = Path.Combine(folder.FullName, "other.ctl");
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen();
            var server = Task.Run(() =>
            {
                using var client = listener.Accept();
                client.Send("\0\0\0\x08HTTP/1.0"u8.ToArray());
                client.Receive(new byte[64]);
            });
            var error = Assert.Throws<SshMuxException>(() => SshMux.Forward(path, forward, false, TimeSpan.FromSeconds(5), default));
            Assert.Contains("version 4 was expected", error.Message);
            await server.WaitAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("No ED25519 host key is known for h1 and you have requested strict checking.\nHost key verification failed.", ErrorIds.HostKeyNotTrusted)]
    [InlineData("root@h1: Permission denied (publickey).", ErrorIds.HostAuthenticationFailed)]
    [InlineData("ssh: Could not resolve hostname nowhere.invalid: Name or service not known", ErrorIds.HostUnknown)]
    [InlineData("ssh: connect to host 10.0.0.1 port 2222: Connection refused", ErrorIds.HostUnreachable)]
    [InlineData("ssh: connect to host 10.0.0.1 port 22: Connection timed out", ErrorIds.HostUnreachable)]
    public void What_ssh_says_tells_an_untrusted_key_a_refused_login_and_an_unknown_or_unreachable_host_apart(string said, string id) =>
        Assert.Equal(id, SshMessages.Classify(said)?.Id);
}
