using HeadlessVm.Core;
using HeadlessVm.Core.Guest;
using Xunit;

namespace HeadlessVm.Core.Tests;

public sealed class KeyMapTests
{
    private static string[] Codes(string combination) => KeyMap.ParseCombination(combination).QCodes.ToArray();

    [Theory]
    [InlineData("ctrl-alt-delete", new[] { "ctrl", "alt", "delete" })]
    [InlineData("ctrl-alt-f2", new[] { "ctrl", "alt", "f2" })]
    [InlineData("Ctrl+Alt+Del", new[] { "ctrl", "alt", "delete" })]
    [InlineData("ret", new[] { "ret" })]
    [InlineData("enter", new[] { "ret" })]
    [InlineData("esc", new[] { "esc" })]
    [InlineData("f1", new[] { "f1" })]
    [InlineData("F12", new[] { "f12" })]
    [InlineData("shift-tab", new[] { "shift", "tab" })]
    [InlineData("a", new[] { "a" })]
    [InlineData("A", new[] { "a" })]
    [InlineData("delete-ctrl", new[] { "ctrl", "delete" })]
    [InlineData("ctrl--", new[] { "ctrl", "minus" })]
    [InlineData("-", new[] { "minus" })]
    [InlineData("kp_enter", new[] { "kp_enter" })]
    [InlineData("alt-sysrq-b", new[] { "alt", "sysrq", "b" })]
    public void Key_names_map_to_qcodes_with_modifiers_first(string combination, string[] expected) =>
        Assert.Equal(expected, Codes(combination));

    [Theory]
    [InlineData("ctrl-alt-dlete")]
    [InlineData("")]
    [InlineData("ctrl--alt")]
    [InlineData("hyper")]
    public void Unknown_key_names_are_InvalidArgument_errors(string combination)
    {
        var ex = Assert.Throws<HeadlessVmException>(() => KeyMap.ParseCombination(combination));
        Assert.Equal("UnknownKeyName", ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Text_maps_lower_case_plainly_upper_case_with_shift_and_newline_to_ret()
    {
        var keys = KeyMap.FromText("aB 9\n").Select(k => k.ToString()).ToArray();
        Assert.Equal(new[] { "a", "shift-b", "spc", "9", "ret" }, keys);
    }

    [Fact]
    public void Text_symbols_use_the_US_layout_with_shift_where_a_person_would()
    {
        var keys = KeyMap.FromText("-=[]\\;',./`_+{}|:\"<>?~!@#$%^&*()").Select(k => k.ToString()).ToArray();
        Assert.Equal(new[]
        {
            "minus", "equal", "bracket_left", "bracket_right", "backslash", "semicolon", "apostrophe", "comma", "dot", "slash", "grave_accent",
            "shift-minus", "shift-equal", "shift-bracket_left", "shift-bracket_right", "shift-backslash", "shift-semicolon", "shift-apostrophe",
            "shift-comma", "shift-dot", "shift-slash", "shift-grave_accent",
            "shift-1", "shift-2", "shift-3", "shift-4", "shift-5", "shift-6", "shift-7", "shift-8", "shift-9", "shift-0",
        }, keys);
    }

    [Fact]
    public void Text_CRLF_is_one_Enter_and_tab_is_tab()
    {
        Assert.Equal(new[] { "x", "ret", "tab", "ret" }, KeyMap.FromText("x\r\n\t\r").Select(k => k.ToString()).ToArray());
    }

    [Fact]
    public void Text_with_a_character_no_US_key_types_is_an_error_naming_it()
    {
        var ex = Assert.Throws<HeadlessVmException>(() => KeyMap.FromText("naïve"));
        Assert.Equal("UnsupportedTextCharacter", ex.ErrorId);
        Assert.Contains("position 3", ex.Message);
    }

    [Fact]
    public void A_combination_becomes_the_QMP_send_key_keys_argument()
    {
        var json = KeyMap.ParseCombination("ctrl-alt-delete").ToQmpKeys().ToJsonString();
        Assert.Equal("""[{"type":"qcode","data":"ctrl"},{"type":"qcode","data":"alt"},{"type":"qcode","data":"delete"}]""", json);
    }

    [Fact]
    public void Every_key_text_produces_is_a_known_qcode()
    {
        var all = new string(Enumerable.Range(32, 95).Select(i => (char)i).ToArray()) + "\n\t";
        foreach (var key in KeyMap.FromText(all))
        {
            Assert.All(key.QCodes, q => Assert.Contains(q, KeyMap.QCodes));
        }
    }
}
