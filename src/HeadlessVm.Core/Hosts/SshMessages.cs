using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Hosts;

/// <summary>
/// What OpenSSH's fixed phrases on stderr say went wrong, for libvirt's ssh transport (whose open errors carry ssh's
/// stderr) and for HeadlessVm's own console tunnels: an untrusted host key and a refused login are told apart from a
/// host that cannot be named or reached. The phrases are OpenSSH's (sshconnect.c, sshconnect2.c, ssh.c).
/// </summary>
public static class SshMessages
{
    /// <summary>The id, kind and remedy that <paramref name="message"/> (ssh's stderr, or text quoting it) calls for; null when no phrase is known.</summary>
    public static (string Id, FailureKind Kind, string? Remedy)? Classify(string message)
    {
        if (Mentions(message, "Host key verification failed") || Mentions(message, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        {
            return (ErrorIds.HostKeyNotTrusted, FailureKind.PermissionDenied,
                "The host's ssh key is not in known_hosts (or changed); nothing was asked. Check the key and add it, e.g. by running 'ssh USER@HOST true' once in a terminal.");
        }

        if (Mentions(message, "Permission denied (") || Mentions(message, "Too many authentication failures"))
        {
            return (ErrorIds.HostAuthenticationFailed, FailureKind.PermissionDenied,
                "ssh could not log in without a prompt; load a key into ssh-agent or name one with the URI's keyfile= parameter.");
        }

        if (Mentions(message, "Could not resolve hostname"))
        {
            return (ErrorIds.HostUnknown, FailureKind.ConnectionError, null);
        }

        if (Mentions(message, "Connection refused") || Mentions(message, "Connection timed out") || Mentions(message, "No route to host")
            || Mentions(message, "Network is unreachable") || Mentions(message, "Connection closed by") || Mentions(message, "Connection reset by"))
        {
            return (ErrorIds.HostUnreachable, FailureKind.ConnectionError, null);
        }

        return null;
    }

    private static bool Mentions(string message, string phrase) => message.Contains(phrase, StringComparison.Ordinal);
}
