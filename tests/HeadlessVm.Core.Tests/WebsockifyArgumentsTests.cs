using HeadlessVm.Core.Console;
using Xunit;

namespace HeadlessVm.Core.Tests;

public sealed class WebsockifyArgumentsTests
{
    private static readonly WebsockifyOptions Plain = new(
        "127.0.0.1", 6080, "/usr/share/novnc", "/state/vms/web1/websockify.tokens", "/state/vms/web1/websockify.log");

    [Fact]
    public void A_plain_bridge_daemonizes_logs_to_its_folder_serves_noVNC_and_requires_the_token()
    {
        var command = WebsockifyArguments.Build(Plain);
        Assert.Equal("websockify", command.Program);
        Assert.Equal(new[]
        {
            "--daemon",
            "--log-file", "/state/vms/web1/websockify.log",
            "--web", "/usr/share/novnc",
            "--token-plugin", "TokenFile",
            "--token-source", "/state/vms/web1/websockify.tokens",
            "127.0.0.1:6080",
        }, command.Arguments);
    }

    [Fact]
    public void A_certificate_adds_cert_key_and_ssl_only_before_the_listen_address()
    {
        var command = WebsockifyArguments.Build(Plain with { CertificatePath = "/c/cert.pem", KeyPath = "/c/key.pem", WebPort = 16443 });
        Assert.Equal(new[] { "--cert", "/c/cert.pem", "--key", "/c/key.pem", "--ssl-only", "127.0.0.1:16443" }, command.Arguments.Skip(9));
    }

    [Fact]
    public void A_certificate_that_holds_its_key_needs_no_key_argument()
    {
        var command = WebsockifyArguments.Build(Plain with { CertificatePath = "/c/both.pem" });
        Assert.Equal(new[] { "--cert", "/c/both.pem", "--ssl-only", "127.0.0.1:6080" }, command.Arguments.Skip(9));
        Assert.DoesNotContain("--key", command.Arguments);
    }

    [Fact]
    public void An_IPv6_listen_address_is_bracketed_and_paths_with_spaces_stay_one_argument()
    {
        var command = WebsockifyArguments.Build(Plain with { ListenAddress = "::1", LogFile = "/my state/w.log" });
        Assert.Equal("[::1]:6080", command.Arguments[^1]);
        Assert.Equal("/my state/w.log", command.Arguments[2]);
    }

    [Fact]
    public void The_token_line_is_in_the_TokenFile_plugin_format()
    {
        Assert.Equal("abc123: 127.0.0.1:5901\n", TokenLine.Format("abc123", "127.0.0.1:5901"));
    }

    [Fact]
    public void The_console_url_autoconnects_scales_carries_the_token_in_the_query_and_the_password_after_the_hash()
    {
        var url = ConsoleUrl.Build("127.0.0.1", 6080, secure: false, "tok123", "Pw3xYz9q");
        Assert.Equal("http", url.Scheme);
        Assert.Equal("127.0.0.1", url.Host);
        Assert.Equal(6080, url.Port);
        Assert.Equal("/vnc.html", url.AbsolutePath);
        Assert.Equal("?autoconnect=1&resize=scale&encrypt=0&path=websockify%3Ftoken%3Dtok123", url.Query);
        Assert.Equal("#password=Pw3xYz9q", url.Fragment);
        Assert.DoesNotContain("Pw3xYz9q", url.Query);
    }

    [Fact]
    public void A_secure_console_url_is_https_with_encrypt_on()
    {
        var url = ConsoleUrl.Build("127.0.0.1", 16443, secure: true, "t", null);
        Assert.Equal("https", url.Scheme);
        Assert.Contains("encrypt=1", url.Query);
        Assert.Equal(string.Empty, url.Fragment);
    }

    [Fact]
    public void A_wildcard_listen_address_is_reached_by_the_machine_name_and_IPv6_is_bracketed()
    {
        Assert.Equal(System.Net.Dns.GetHostName(), ConsoleUrl.UrlHost("0.0.0.0"));
        Assert.Equal("[::1]", ConsoleUrl.UrlHost("::1"));
        Assert.Equal("[::1]", ConsoleUrl.Build("::1", 6080, false, "t", null).Host);
    }
}
