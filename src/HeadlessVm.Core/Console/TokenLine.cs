using System.Security.Cryptography;
using HeadlessVm.Core.State;

namespace HeadlessVm.Core.Console;

/// <summary>
/// One bridge's line for websockify's TokenFile plugin, "TOKEN: TARGET\n", in a file of its own in the
/// console server's tokens folder. websockify splits the line at ':' and whitespace, then the target at
/// its last ':' into host and port, or "unix_socket" and a path (websockify/token_plugins.py, 0.10).
/// </summary>
public sealed record TokenLine(string Token, string Target)
{
    /// <summary>A line with a new random token (128 bits, lowercase hex) for <paramref name="target"/>.</summary>
    public static TokenLine New(string target) => new(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), target);

    /// <summary>The line as websockify reads it.</summary>
    public static string Format(string token, string target) => $"{token}: {target}\n";

    /// <summary>
    /// The first token line of <paramref name="text"/> (blank lines and '#' comments skipped, as websockify
    /// does); null when there is none.
    /// </summary>
    public static TokenLine? Parse(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':');
            while (colon >= 0 && (colon + 1 >= line.Length || !char.IsWhiteSpace(line[colon + 1])))
            {
                colon = line.IndexOf(':', colon + 1);
            }

            return colon > 0 ? new TokenLine(line[..colon], line[(colon + 1)..].Trim()) : null;
        }

        return null;
    }

    /// <summary>The line of a token file: missing when there is no file, damaged when it holds no token line websockify could use.</summary>
    public static RecordRead<TokenLine> Read(string file) => RecordFiles.ReadText(file, text =>
        Parse(text) is { } line && line.Token.Length > 0 && line.Token.All(char.IsAsciiLetterOrDigit) && line.Target.Length > 0
            ? RecordRead<TokenLine>.Found(line)
            : RecordRead<TokenLine>.Broken("it holds no 'TOKEN: HOST:PORT' line"));

    /// <summary>
    /// Writes the bridge's token file. It is written beside the tokens folder and renamed in:
    /// websockify lists that folder on every connection and must never see half a file.
    /// </summary>
    public void Write(StatePaths.ConsoleServerFiles server, string bridgeName) =>
        PrivateFiles.WriteRuntimeText(server.TokenFile(bridgeName), ToString(), server.Folder);

    public override string ToString() => Format(Token, Target);
}
