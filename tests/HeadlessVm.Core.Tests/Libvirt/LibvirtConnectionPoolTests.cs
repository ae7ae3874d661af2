using System.Net;
using System.Net.Sockets;
using HeadlessVm.Core.Errors;
using HeadlessVm.Core.Libvirt;

namespace HeadlessVm.Core.Tests.Libvirt;

/// <summary>The process's connections: reused while alive, never remembered when they fail, and bounded in time.</summary>
public sealed class LibvirtConnectionPoolTests
{
    [Fact]
    public void A_URI_gets_one_connection_that_later_calls_reuse_until_it_is_closed()
    {
        using var pool = new LibvirtConnectionPool();
        var first = pool.Get("test:///default", "t", CancellationToken.None);
        Assert.Same(first, pool.Get("test:///default", "t", CancellationToken.None));
        Assert.True(pool.IsOpen("test:///default"));

        Assert.True(pool.Close("test:///default"));
        Assert.False(pool.IsOpen("test:///default"));
        Assert.False(pool.Close("test:///default"));
        Assert.NotSame(first, pool.Get("test:///default", "t", CancellationToken.None));
    }

    [Fact]
    public void A_failed_open_is_not_remembered_and_fails_again_with_libvirts_error()
    {
        using var pool = new LibvirtConnectionPool();
        var socket = $"/tmp/hvm-no-daemon-{Guid.NewGuid():N}/sock";
        var uri = $"qemu+unix:///system?socket={socket}";
        Assert.Equal(ErrorIds.HostUnreachable, Assert.Throws<LibvirtException>(() => pool.Get(uri, "x", CancellationToken.None)).ErrorId);
        Assert.False(pool.IsOpen(uri));
        Assert.Contains(socket, Assert.Throws<LibvirtException>(() => pool.Get(uri, "x", CancellationToken.None)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_that_accepts_but_never_answers_is_HostTimeout_and_cancelling_stops_the_wait_at_once()
    {
        // A real black hole: a listener that takes the TCP connection and never sends ssh's banner, so ssh waits for ever.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var uri = LibvirtUri.WithoutPrompts($"qemu+ssh://nobody@127.0.0.1:{port}/system");
        using var pool = new LibvirtConnectionPool(TimeSpan.FromSeconds(2));

        var timeout = Assert.Throws<HeadlessVmException>(() => pool.Get(uri, "silent", CancellationToken.None));
        Assert.Equal(ErrorIds.HostTimeout, timeout.ErrorId);
        Assert.Equal(FailureKind.OperationTimeout, timeout.Kind);
        Assert.Equal("silent", timeout.Target);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => pool.Get(uri, "silent", cancel.Token));

        // Closing the listener ends ssh; the open fails in the background and is not kept.
        listener.Stop();
    }
}
