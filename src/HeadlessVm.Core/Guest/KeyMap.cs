using System.Globalization;
using System.Text.Json.Nodes;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Guest;

/// <summary>Keys pressed together, as QMP qcodes (modifiers first), e.g. ctrl, alt, delete.</summary>
public sealed record KeyCombination(IReadOnlyList<string> QCodes)
{
    public override string ToString() => string.Join("-", QCodes);

    /// <summary>The "keys" argument of QMP send-key.</summary>
    public JsonArray ToQmpKeys() => new(QCodes.Select(q => (JsonNode)new JsonObject { ["type"] = "qcode", ["data"] = q }).ToArray());

    public bool Equals(KeyCombination? other) => other is not null && QCodes.SequenceEqual(other.QCodes);

    public override int GetHashCode() => string.Join("-", QCodes).GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// Maps key names ("ctrl-alt-delete", "ret", "f2") and text (US keyboard layout) to QMP send-key
/// qcodes. Pure, so tests assert on the sequences.
/// </summary>
public static class KeyMap
{
    /// <summary>Every qcode qemu's QMP send-key accepts (QKeyCode in qapi/ui.json).</summary>
    public static readonly IReadOnlySet<string> QCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "unmapped", "shift", "shift_r", "alt", "alt_r", "ctrl", "ctrl_r", "menu", "esc",
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "minus", "equal", "backspace", "tab",
        "q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "bracket_left", "bracket_right", "ret",
        "a", "s", "d", "f", "g", "h", "j", "k", "l", "semicolon", "apostrophe", "grave_accent", "backslash",
        "z", "x", "c", "v", "b", "n", "m", "comma", "dot", "slash", "asterisk", "spc", "caps_lock",
        "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "num_lock", "scroll_lock",
        "kp_divide", "kp_multiply", "kp_subtract", "kp_add", "kp_enter", "kp_decimal", "sysrq",
        "kp_0", "kp_1", "kp_2", "kp_3", "kp_4", "kp_5", "kp_6", "kp_7", "kp_8", "kp_9",
        "less", "f11", "f12", "print", "home", "pgup", "pgdn", "end", "left", "up", "down", "right",
        "insert", "delete", "stop", "again", "props", "undo", "front", "copy", "open", "paste", "find",
        "cut", "lf", "help", "meta_l", "meta_r", "compose", "pause", "ro", "hiragana", "henkan", "yen",
        "muhenkan", "katakanahiragana", "kp_comma", "kp_equals", "power", "sleep", "wake", "audionext",
        "audioprev", "audiostop", "audioplay", "audiomute", "volumeup", "volumedown", "mediaselect",
        "mail", "calculator", "computer", "ac_home", "ac_back", "ac_forward", "ac_refresh", "ac_bookmarks",
        "lang1", "lang2",
    };

    /// <summary>Friendlier names people write, mapped to qcodes.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["enter"] = "ret",
        ["return"] = "ret",
        ["escape"] = "esc",
        ["space"] = "spc",
        ["del"] = "delete",
        ["ins"] = "insert",
        ["control"] = "ctrl",
        ["lctrl"] = "ctrl",
        ["rctrl"] = "ctrl_r",
        ["lalt"] = "alt",
        ["ralt"] = "alt_r",
        ["altgr"] = "alt_r",
        ["lshift"] = "shift",
        ["rshift"] = "shift_r",
        ["win"] = "meta_l",
        ["windows"] = "meta_l",
        ["super"] = "meta_l",
        ["meta"] = "meta_l",
        ["cmd"] = "meta_l",
        ["bksp"] = "backspace",
        ["pageup"] = "pgup",
        ["pagedown"] = "pgdn",
        ["printscreen"] = "print",
        ["prtsc"] = "print",
        ["capslock"] = "caps_lock",
        ["numlock"] = "num_lock",
        ["scrolllock"] = "scroll_lock",
    };

    private static readonly IReadOnlySet<string> Modifiers = new HashSet<string>(StringComparer.Ordinal)
    {
        "shift", "shift_r", "alt", "alt_r", "ctrl", "ctrl_r", "meta_l", "meta_r",
    };

    /// <summary>US layout: characters typed without shift, and the key that types them.</summary>
    private const string Plain = "`1234567890-=[]\\;',./";
    private const string Shifted = "~!@#$%^&*()_+{}|:\"<>?";
    private static readonly string[] PlainCodes =
    {
        "grave_accent", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "minus", "equal",
        "bracket_left", "bracket_right", "backslash", "semicolon", "apostrophe", "comma", "dot", "slash",
    };

    /// <summary>
    /// Parses one combination such as "ctrl-alt-delete", "ctrl+alt+f2", "ret" or "A" (the A key, no shift).
    /// Names are case-insensitive; a lone "-" or "+" is that character's key.
    /// </summary>
    public static KeyCombination ParseCombination(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw Unknown(text, "an empty key name");
        }

        List<string> parts;
        if (trimmed.Length == 1)
        {
            parts = new List<string> { trimmed };
        }
        else
        {
            parts = trimmed.Split('-', '+').ToList();
            // "ctrl--" or "ctrl++": the last key is the separator character itself.
            if (parts.Count >= 2 && parts[^1].Length == 0 && parts[^2].Length == 0)
            {
                parts.RemoveAt(parts.Count - 1);
                parts[^1] = trimmed[^1].ToString();
            }
        }

        var codes = new List<string>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                throw Unknown(text, "an empty key name");
            }

            var code = ToQCode(part) ?? throw Unknown(text, $"'{part}'");
            codes.Add(code);
        }

        // Modifiers go down first, as a person would press them.
        var ordered = codes.Where(Modifiers.Contains).Concat(codes.Where(c => !Modifiers.Contains(c))).Distinct().ToArray();
        return new KeyCombination(ordered);
    }

    /// <summary>The keystrokes that type <paramref name="text"/> on a US keyboard: "\n" (or "\r\n") is Enter, upper case and symbols use shift.</summary>
    public static IReadOnlyList<KeyCombination> FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<KeyCombination>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                // "\r\n" is one Enter; a lone "\r" is Enter too.
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    continue;
                }

                result.Add(Keys("ret"));
                continue;
            }

            result.Add(FromChar(c) ?? throw HeadlessVmErrors.UnsupportedTextCharacter(c, i + 1));
        }

        return result;
    }

    private static KeyCombination? FromChar(char c)
    {
        switch (c)
        {
            case >= 'a' and <= 'z':
                return Keys(c.ToString());
            case >= 'A' and <= 'Z':
                return Keys("shift", char.ToLowerInvariant(c).ToString());
            case ' ':
                return Keys("spc");
            case '\n':
                return Keys("ret");
            case '\t':
                return Keys("tab");
            case '\b':
                return Keys("backspace");
            case '\u001b':
                return Keys("esc");
        }

        var plain = Plain.IndexOf(c);
        if (plain >= 0)
        {
            return Keys(PlainCodes[plain]);
        }

        var shifted = Shifted.IndexOf(c);
        return shifted >= 0 ? Keys("shift", PlainCodes[shifted]) : null;
    }

    private static string? ToQCode(string name)
    {
        if (name.Length == 1)
        {
            var single = FromChar(char.ToLowerInvariant(name[0]));
            // A single character names its key: "a" or "A" is the A key, "/" the slash key, "?" too.
            if (single is not null)
            {
                return single.QCodes[^1];
            }
        }

        var lower = name.ToLower(CultureInfo.InvariantCulture);
        if (Aliases.TryGetValue(lower, out var alias))
        {
            return alias;
        }

        return QCodes.Contains(lower) ? lower : null;
    }

    private static KeyCombination Keys(params string[] codes) => new(codes);

    private static HeadlessVmException Unknown(string text, string what) => HeadlessVmErrors.UnknownKeyName(text, what);
}
