namespace HeadlessVm.Core.Guest;

/// <summary>
/// QMP qcodes (<see cref="KeyMap.QCodes"/>) as Linux input key codes (linux/input-event-codes.h), which libvirt's
/// virDomainSendKey takes with VIR_KEYCODE_SET_LINUX. The pairs are those of QEMU's keycodemapdb (keymaps.csv,
/// columns "QKeyCode" and "Linux"): e.g. ret 28 (KEY_ENTER), ctrl 29, a 30, delete 111, meta_l 125.
/// </summary>
public static class LinuxKeyCodes
{
    private static readonly Dictionary<string, uint> Codes = new(StringComparer.Ordinal)
    {
        ["esc"] = 1, ["1"] = 2, ["2"] = 3, ["3"] = 4, ["4"] = 5, ["5"] = 6, ["6"] = 7, ["7"] = 8, ["8"] = 9, ["9"] = 10, ["0"] = 11,
        ["minus"] = 12, ["equal"] = 13, ["backspace"] = 14, ["tab"] = 15,
        ["q"] = 16, ["w"] = 17, ["e"] = 18, ["r"] = 19, ["t"] = 20, ["y"] = 21, ["u"] = 22, ["i"] = 23, ["o"] = 24, ["p"] = 25,
        ["bracket_left"] = 26, ["bracket_right"] = 27, ["ret"] = 28, ["ctrl"] = 29,
        ["a"] = 30, ["s"] = 31, ["d"] = 32, ["f"] = 33, ["g"] = 34, ["h"] = 35, ["j"] = 36, ["k"] = 37, ["l"] = 38,
        ["semicolon"] = 39, ["apostrophe"] = 40, ["grave_accent"] = 41, ["shift"] = 42, ["backslash"] = 43,
        ["z"] = 44, ["x"] = 45, ["c"] = 46, ["v"] = 47, ["b"] = 48, ["n"] = 49, ["m"] = 50,
        ["comma"] = 51, ["dot"] = 52, ["slash"] = 53, ["shift_r"] = 54, ["kp_multiply"] = 55, ["asterisk"] = 55,
        ["alt"] = 56, ["spc"] = 57, ["caps_lock"] = 58,
        ["f1"] = 59, ["f2"] = 60, ["f3"] = 61, ["f4"] = 62, ["f5"] = 63, ["f6"] = 64, ["f7"] = 65, ["f8"] = 66, ["f9"] = 67, ["f10"] = 68,
        ["num_lock"] = 69, ["scroll_lock"] = 70,
        ["kp_7"] = 71, ["kp_8"] = 72, ["kp_9"] = 73, ["kp_subtract"] = 74, ["kp_4"] = 75, ["kp_5"] = 76, ["kp_6"] = 77, ["kp_add"] = 78,
        ["kp_1"] = 79, ["kp_2"] = 80, ["kp_3"] = 81, ["kp_0"] = 82, ["kp_decimal"] = 83,
        ["less"] = 86, ["f11"] = 87, ["f12"] = 88, ["ro"] = 89, ["katakanahiragana"] = 93, ["hiragana"] = 91, ["henkan"] = 92, ["muhenkan"] = 94,
        ["kp_enter"] = 96, ["ctrl_r"] = 97, ["kp_divide"] = 98, ["sysrq"] = 99, ["print"] = 99, ["alt_r"] = 100, ["lf"] = 101,
        ["home"] = 102, ["up"] = 103, ["pgup"] = 104, ["left"] = 105, ["right"] = 106, ["end"] = 107, ["down"] = 108, ["pgdn"] = 109,
        ["insert"] = 110, ["delete"] = 111, ["audiomute"] = 113, ["volumedown"] = 114, ["volumeup"] = 115, ["power"] = 116,
        ["kp_equals"] = 117, ["pause"] = 119, ["kp_comma"] = 121, ["lang1"] = 122, ["lang2"] = 123, ["yen"] = 124,
        ["meta_l"] = 125, ["meta_r"] = 126, ["compose"] = 127, ["stop"] = 128, ["again"] = 129, ["props"] = 130, ["undo"] = 131,
        ["front"] = 132, ["copy"] = 133, ["open"] = 134, ["paste"] = 135, ["find"] = 136, ["cut"] = 137, ["help"] = 138, ["menu"] = 139,
        ["calculator"] = 140, ["sleep"] = 142, ["wake"] = 143, ["mail"] = 155, ["ac_bookmarks"] = 156, ["computer"] = 157,
        ["ac_back"] = 158, ["ac_forward"] = 159, ["audionext"] = 163, ["audioplay"] = 164, ["audioprev"] = 165, ["audiostop"] = 166,
        ["ac_home"] = 172, ["ac_refresh"] = 173, ["mediaselect"] = 226,
    };

    /// <summary>The Linux key codes of a combination, modifiers first; UnknownKeyName for a qcode with no Linux key ("unmapped").</summary>
    public static IReadOnlyList<uint> Of(KeyCombination combination) =>
        combination.QCodes.Select(q => Codes.TryGetValue(q, out var code) ? code : throw Errors.HeadlessVmErrors.UnknownKeyName(combination.ToString(), $"'{q}' (which has no Linux key code)")).ToArray();

    /// <summary>True when every qcode HeadlessVm accepts, but "unmapped", has a Linux code (a test checks it).</summary>
    public static bool Covers(string qcode) => Codes.ContainsKey(qcode);
}
