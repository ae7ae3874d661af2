using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tests.Libvirt;

public sealed class LibvirtUriTests
{
    [Theory]
    [InlineData("qemu:///system", null, null, false)]
    [InlineData("test:///default", null, null, false)]
    [InlineData("qemu+unix:///system?socket=/run/x/sock", "unix", null, false)]
    [InlineData("qemu+ssh://admin@h1.example.net:2222/system", "ssh", "h1.example.net", true)]
    [InlineData("qemu+tls://h2/system", "tls", "h2", true)]
    [InlineData("qemu://h3/system", null, "h3", true)]
    [InlineData("qemu+libssh2://u@[fd00::1]:22/system", "libssh2", "fd00::1", true)]
    public void Transport_host_and_remoteness_come_from_the_uri(string uri, string? transport, string? host, bool remote)
    {
        Assert.Equal(transport, LibvirtUri.Transport(uri));
        Assert.Equal(host, LibvirtUri.Host(uri));
        Assert.Equal(remote, LibvirtUri.IsRemote(uri));
    }

    [Theory]
    [InlineData("qemu+ssh://h/system", "qemu+ssh://h/system?no_tty=1")]
    [InlineData("qemu+ssh://u@h/system?keyfile=/k", "qemu+ssh://u@h/system?keyfile=/k&no_tty=1")]
    [InlineData("qemu+ssh://h/system?no_tty=0", "qemu+ssh://h/system?no_tty=0")]
    [InlineData("qemu+tls://h/system", "qemu+tls://h/system")]
    [InlineData("qemu+libssh://h/system", "qemu+libssh://h/system")]
    [InlineData("qemu:///system", "qemu:///system")]
    public void Only_ssh_uris_get_no_tty_and_an_explicit_choice_is_kept(string uri, string expected)
    {
        Assert.Equal(expected, LibvirtUri.WithoutPrompts(uri));
        Assert.False(LibvirtUri.HasParameter(LibvirtUri.WithoutPrompts(uri), "no_verify"));
    }
}
