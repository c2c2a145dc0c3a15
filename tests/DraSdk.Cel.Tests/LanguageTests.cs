using static DraSdk.Cel.Tests.Devices;

namespace DraSdk.Cel.Tests;

/// <summary>Standard CEL: operators, macros, error absorption, types and limits.</summary>
public sealed class LanguageTests
{
    [Theory]
    [InlineData("1 + 2 * 3 == 7")]
    [InlineData("(1 + 2) * 3 == 9")]
    [InlineData("7 / 2 == 3 && 7 % 2 == 1 && -7 / 2 == -3")]
    [InlineData("1u + 2u == 3u")]
    [InlineData("1.5 + 1.0 == 2.5")]
    [InlineData("0x1F == 31")]
    [InlineData("-9223372036854775808 < 0")]
    [InlineData("\"ab\" + \"cd\" == \"abcd\"")]
    [InlineData("b\"ab\" + b\"cd\" == b\"abcd\"")]
    [InlineData("[1, 2] + [3] == [1, 2, 3]")]
    [InlineData("1 == 1.0 && 1u == 1 && 2 > 1.5 && 1u < 2")]
    [InlineData("\"a\" < \"b\" && \"b\" >= \"b\"")]
    [InlineData("true ? true : false")]
    [InlineData("!false")]
    [InlineData("1 in [1, 2, 3] && !(4 in [1, 2, 3])")]
    [InlineData("\"k\" in {\"k\": 1}")]
    [InlineData("{\"a\": 1, \"b\": 2}[\"b\"] == 2")]
    [InlineData("{1: \"x\"}[1u] == \"x\"")]
    [InlineData("[1, 2, 3][1] == 2")]
    [InlineData("size(\"héllo\") == 5 && \"héllo\".size() == 5")]
    [InlineData("size([1, 2]) == 2 && size({\"a\": 1}) == 1")]
    [InlineData("int(\"42\") == 42 && uint(42) == 42u && double(1) == 1.0 && string(1) == \"1\"")]
    [InlineData("string(1.5) == \"1.5\" && bool(\"true\") && int(2.9) == 2")]
    [InlineData("type(1) == int && type(\"a\") == string && type([1]) == list && type({}) == map")]
    [InlineData("dyn(1) == 1")]
    [InlineData("'single' == \"single\" && r'\\d' == '\\\\d' && '''multi\nline'''.size() == 10")]
    [InlineData("\"\\x41\\u00e9\\101\" == \"Aé\" + \"A\"")]
    [InlineData("null == null")]
    [InlineData("[] == [] && {} == {}")]
    [InlineData("[1, [2, 3]] == [1, [2, 3]] && {\"a\": [1]} == {\"a\": [1]}")]
    [InlineData("1 != 2 && \"a\" != \"b\"")]
    [InlineData("true || false && false")]
    public void Standard_operators(string expression) => AssertMatch(true, expression);

    [Theory]
    [InlineData("[1, 2, 3].all(x, x > 0)", true)]
    [InlineData("[1, 2, 3].all(x, x > 1)", false)]
    [InlineData("[1, 2, 3].exists(x, x == 2)", true)]
    [InlineData("[1, 2, 3].exists_one(x, x > 1)", false)]
    [InlineData("[1, 2, 3].exists_one(x, x > 2)", true)]
    [InlineData("[1, 2, 3].map(x, x * x) == [1, 4, 9]", true)]
    [InlineData("[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]", true)]
    [InlineData("[1, 2, 3].filter(x, x % 2 == 1) == [1, 3]", true)]
    [InlineData("{\"a\": 1, \"b\": 2}.all(k, k.size() == 1)", true)]
    [InlineData("{\"a\": 1, \"b\": 2}.filter(k, k == \"b\") == [\"b\"]", true)]
    [InlineData("[].all(x, false) && ![].exists(x, true)", true)]
    [InlineData("[[1, 2], [3]].all(l, l.all(x, x > 0))", true)]
    [InlineData("[1, 2].all(i, v, v > i)", true)]
    [InlineData("{\"a\": 1}.exists(k, v, k == \"a\" && v == 1)", true)]
    [InlineData("[1, 2].existsOne(i, v, v == 2)", true)]
    [InlineData("[1, 2].transformList(i, v, v + i) == [1, 3]", true)]
    [InlineData("[1, 2].transformList(i, v, i > 0, v) == [2]", true)]
    [InlineData("{\"a\": 1}.transformMap(k, v, v + 1) == {\"a\": 2}", true)]
    [InlineData("[\"x\"].transformMapEntry(i, v, {v: i}) == {\"x\": 0}", true)]
    [InlineData("[3, 1, 2].sortBy(x, -x) == [3, 2, 1]", true)]
    [InlineData("optional.of(2).optMap(x, x * 2).value() == 4", true)]
    [InlineData("optional.none().optMap(x, x * 2).hasValue()", false)]
    public void Macros(string expression, bool expected) => AssertMatch(expected, expression);

    [Fact]
    public void Has_macro()
    {
        AssertMatch(true, "has({\"a\": 1}.a)");
        AssertMatch(false, "has({\"a\": 1}.b)");
        AssertCompileError("has(1)", "invalid argument to has() macro");
    }

    [Theory]
    [InlineData("false && (1 / 0 == 1)", false)]
    [InlineData("(1 / 0 == 1) && false", false)]
    [InlineData("true || (1 / 0 == 1)", true)]
    [InlineData("(1 / 0 == 1) || true", true)]
    [InlineData("device.attributes[\"dra.example.com\"].missing || true", true)]
    [InlineData("device.attributes[\"dra.example.com\"].missing && false", false)]
    [InlineData("[1, 0].exists(x, 1 / x == 1)", true)]
    [InlineData("[0, 1].all(x, 1 / x == 5)", false)]
    public void Errors_are_absorbed_when_the_other_side_decides(string expression, bool expected) => AssertMatch(expected, expression);

    [Theory]
    [InlineData("true && (1 / 0 == 1)", "division by zero")]
    [InlineData("(1 % 0 == 1) || false", "modulus by zero")]
    [InlineData("9223372036854775807 + 1 > 0", "overflow")]
    [InlineData("-9223372036854775807 - 2 < 0", "overflow")]
    [InlineData("0u - 1u > 0u", "overflow")]
    [InlineData("[1][5] == 1", "index out of bounds")]
    [InlineData("{\"a\": 1}[\"b\"] == 1", "no such key: b")]
    [InlineData("dyn(1) + dyn(\"a\") == 2", "no such overload")]
    [InlineData("int(\"x\") == 1", "cannot convert")]
    [InlineData("[0].all(x, 1 / x == 1)", "division by zero")]
    [InlineData("[1, 2].exists_one(x, 1 / (x - 1) == 1)", "division by zero")]
    [InlineData("dyn(1) ? true : false", "no such overload")]
    [InlineData("{\"a\": 1, \"a\": 2}.size() == 1", "repeated key")]
    public void Runtime_errors(string expression, string error) => AssertError(expression, error);

    [Theory]
    [InlineData("foo == 1", "undeclared reference to 'foo'", 0)]
    [InlineData("1 + \"a\" == 2", "found no matching overload for '_+_' applied to '(int, string)'", 2)]
    [InlineData("1 == \"a\"", "found no matching overload for '_==_'", 2)]
    [InlineData("\"a\".noSuchFunction()", "undeclared reference to 'noSuchFunction'", 4)]
    [InlineData("\"a\".startsWith(1)", "found no matching overload for 'startsWith'", 4)]
    [InlineData("1.all(x, true)", "cannot be range of a comprehension", 0)]
    [InlineData("[1].all(x, 1)", "found no matching overload", 11)]
    [InlineData("1 && true", "found no matching overload for '_&&_'", 0)]
    [InlineData("device.driver.x == 1", "does not support field selection", 14)]
    [InlineData("\"a\".matches(\"(\")", "invalid regular expression", 12)]
    [InlineData("\"a\".matches(\"(a)\\\\1\")", "invalid regular expression", 12)]
    [InlineData("[1].all(1, true)", "argument must be a simple name", 8)]
    [InlineData("if == 1", "reserved identifier", 0)]
    [InlineData("\"unterminated", "unterminated string", 0)]
    [InlineData("1 +", "Syntax error", 3)]
    [InlineData("(1 == 1", "Syntax error", 7)]
    [InlineData("a.b{c: 1}", "not supported", 3)]
    public void Compile_errors_name_the_position(string expression, string error, int position)
    {
        var e = AssertCompileError(expression, error);
        Assert.Equal(position, e.Position);
        Assert.Contains("<input>:1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("^", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expression_length_limit_is_10_KiB()
    {
        string ok = "true" + string.Concat(Enumerable.Repeat(" && true", (10 * 1024 - 4) / 8));
        Assert.True(ok.Length <= 10 * 1024);
        AssertMatch(true, ok);
        string tooLong = ok + new string(' ', 10 * 1024 - ok.Length + 1);
        AssertCompileError(tooLong, "expression too long");
    }

    [Fact]
    public void Deep_nesting_is_a_compile_error_not_a_stack_overflow()
    {
        string deep = new string('(', 300) + "true" + new string(')', 300);
        AssertCompileError(deep, "recursion limit");
        string deepList = new string('[', 300) + new string(']', 300) + " == []";
        AssertCompileError(deepList, "recursion limit");
        AssertMatch(true, new string('!', 200) + "true");
    }

    [Fact]
    public void Comments_and_whitespace()
    {
        AssertMatch(true, "// a comment\ndevice.driver == \"dra.example.com\" // trailing\n");
    }
}
