using HeadlessVm.Core.Backends;
using HeadlessVm.Core.Console;
using HeadlessVm.Core.Processes;

namespace HeadlessVm.Core.Tests;

/// <summary>A bridge's token file: written and read by one type, and read the same way by websockify itself.</summary>
public sealed class TokenLineTests : IDisposable
{
    private readonly TempStore _store = new("hvm-token-");

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_token_file_round_trips_privately_with_no_temporary_file_left_in_the_tokens_folder()
    {
        var server = _store.Paths.ForConsoleServer("127.0.0.1", 6080);
        var line = TokenLine.New("127.0.0.1:5901");
        line.Write(server, "web1");

        Assert.Equal(line, TokenLine.Read(server.TokenFile("web1")).Value);
        Assert.Equal(TokenLine.Format(line.Token, "127.0.0.1:5901"), File.ReadAllText(server.TokenFile("web1")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.TokenFile("web1")));
        Assert.Equal(new[] { "web1" }, Directory.GetFiles(server.TokensFolder).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(server.Folder));
    }

    [Fact]
    public void Tokens_are_128_random_bits_in_lowercase_hex()
    {
        var a = TokenLine.New("h:1").Token;
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, TokenLine.New("h:1").Token);
    }

    [Theory]
    [InlineData("abc: 127.0.0.1:5901\n", "abc", "127.0.0.1:5901")]
    [InlineData("abc: ::1:5901\n", "abc", "::1:5901")]
    [InlineData("# a comment\n\nabc:\tunix_socket:/run/x.sock\n", "abc", "unix_socket:/run/x.sock")]
    public void Parse_reads_the_first_line_as_websockify_does(string text, string token, string target)
    {
        Assert.Equal(new TokenLine(token, target), TokenLine.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("no separator here")]
    public void Text_without_a_token_line_is_none(string text)
    {
        Assert.Null(TokenLine.Parse(text));
    }

    [Fact]
    public void A_missing_token_file_is_none()
    {
        Assert.True(TokenLine.Read(Path.Combine(_store.Root, "missing")).Missing);
    }

    [Fact]
    public void Websockify_reads_a_TCP_and_a_unix_socket_line_as_written()
    {
        var server = _store.Paths.ForConsoleServer("127.0.0.1", 6080);
        var tcp = TokenLine.New(ConsoleEndpoint.Tcp("127.0.0.1", 5901, null).TokenTarget);
        var unix = TokenLine.New(ConsoleEndpoint.UnixSocket("/run/hvm/x.sock", null).TokenTarget);
        tcp.Write(server, "tcp");
        unix.Write(server, "unix");

        // websockify's own TokenFile plugin over the same folder, in the interpreter the daemon runs in.
        var interpreter = WebsockifyLauncher.PythonInterpreterOf(NativeRunner.FindExecutable(WebsockifyArguments.Program)!);
        Assert.NotNull(interpreter);
        var python = NativeRunner.Run(new NativeCommand(interpreter, new[]
        {
            "-c", "import sys; from websockify.token_plugins import TokenFile; t = TokenFile(sys.argv[1]); print(t.lookup(sys.argv[2])); print(t.lookup(sys.argv[3]))",
            server.TokensFolder, tcp.Token, unix.Token,
        }));
        Assert.Equal(0, python.ExitCode);
        Assert.Equal(new[] { "['127.0.0.1', '5901']", "['unix_socket', '/run/hvm/x.sock']" }, python.StandardOutput.Trim().Split('\n'));
    }
}
