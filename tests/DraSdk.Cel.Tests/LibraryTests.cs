using static DraSdk.Cel.Tests.Devices;

namespace DraSdk.Cel.Tests;

/// <summary>The Kubernetes libraries the DRA environment enables.</summary>
public sealed class LibraryTests
{
    [Theory]
    [InlineData("quantity(\"1Mi\").isGreaterThan(quantity(\"1Ki\"))")]
    [InlineData("quantity(\"1Ki\").isLessThan(quantity(\"1025\"))")]
    [InlineData("quantity(\"40Gi\").compareTo(quantity(\"42949672960\")) == 0")]
    [InlineData("quantity(\"1.5\").compareTo(quantity(\"1500m\")) == 0")]
    [InlineData("quantity(\"1k\").asInteger() == 1000 && quantity(\"1M\").isInteger()")]
    [InlineData("!quantity(\"500m\").isInteger()")]
    [InlineData("quantity(\"500m\").asApproximateFloat() == 0.5")]
    [InlineData("quantity(\"-1\").sign() == -1 && quantity(\"0\").sign() == 0")]
    [InlineData("quantity(\"1Gi\").add(quantity(\"1Gi\")) == quantity(\"2Gi\")")]
    [InlineData("quantity(\"1Gi\").sub(1).asInteger() == 1073741823")]
    [InlineData("quantity(\"1e3\") == quantity(\"1k\")")]
    [InlineData("isQuantity(\"20Mi\") && !isQuantity(\"20MB\") && !isQuantity(\"\")")]
    public void Quantity(string expression) => AssertMatch(true, expression);

    [Fact]
    public void Quantity_errors()
    {
        AssertError("quantity(\"abc\").isInteger()", "quantities must match");
        AssertError("quantity(\"0.5\").asInteger() == 0", "cannot convert value to integer");
        AssertCompileError("quantity(\"1\") < quantity(\"2\")", "found no matching overload for '_<_'");
    }

    [Fact]
    public void Capacity_quantities()
    {
        var d = Device(capacity: new() { ["memory"] = Qty("40Gi"), ["other.example.com/cores"] = Qty("8") });
        AssertMatch(true, "device.capacity[\"dra.example.com\"].memory.compareTo(quantity(\"40Gi\")) >= 0", d);
        AssertMatch(false, "device.capacity[\"dra.example.com\"].memory.isGreaterThan(quantity(\"41Gi\"))", d);
        AssertMatch(true, "device.capacity[\"other.example.com\"].cores.asInteger() == 8", d);
    }

    [Theory]
    [InlineData("semver(\"1.2.3\").major() == 1 && semver(\"1.2.3\").minor() == 2 && semver(\"1.2.3\").patch() == 3")]
    [InlineData("semver(\"1.0.0\").isLessThan(semver(\"1.0.1\"))")]
    [InlineData("semver(\"1.0.0-alpha\").isLessThan(semver(\"1.0.0\"))")]
    [InlineData("semver(\"1.0.0-alpha.1\").isLessThan(semver(\"1.0.0-alpha.beta\"))")]
    [InlineData("semver(\"1.0.0-2\").isLessThan(semver(\"1.0.0-10\"))")]
    [InlineData("semver(\"2.0.0\").compareTo(semver(\"1.9.9\")) == 1")]
    [InlineData("semver(\"1.0.0+build\") == semver(\"1.0.0\")")]
    [InlineData("semver(\"v1.2\", true) == semver(\"1.2.0\") && semver(\"01.02.03\", true).patch() == 3")]
    [InlineData("isSemver(\"1.0.0\") && !isSemver(\"1.0\") && !isSemver(\"v1.0.0\") && isSemver(\"v1.0.0\", true)")]
    [InlineData("!isSemver(\"01.0.0\") && !isSemver(\"1.0.0-01\")")]
    public void Semver(string expression) => AssertMatch(true, expression);

    [Fact]
    public void Semver_attribute_with_relaxed_parsing()
    {
        var d = Device(new() { ["name"] = Version("1.0.0") });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].name.isGreaterThan(semver(\"v0.0.1\", true)) && isSemver(\"v1.0.0\", true)", d);
        AssertError("semver(\"1.0\").major() == 1", "invalid semver");
        AssertError("device.attributes[\"dra.example.com\"].name.isGreaterThan(quantity(\"1\"))", "no such overload", d);
    }

    [Theory]
    [InlineData("\"Hello\".lowerAscii() == \"hello\" && \"Hello\".upperAscii() == \"HELLO\"")]
    [InlineData("\"ÀbC\".lowerAscii() == \"Àbc\"")]
    [InlineData("\"a,b,c\".split(\",\") == [\"a\", \"b\", \"c\"]")]
    [InlineData("\"a,b,c\".split(\",\", 2) == [\"a\", \"b,c\"] && \"a,b\".split(\",\", 0) == []")]
    [InlineData("\"abc\".split(\"\") == [\"a\", \"b\", \"c\"]")]
    [InlineData("\"hello\".charAt(1) == \"e\" && \"hello\".charAt(5) == \"\"")]
    [InlineData("\"hello\".indexOf(\"l\") == 2 && \"hello\".lastIndexOf(\"l\") == 3 && \"hello\".indexOf(\"l\", 3) == 3")]
    [InlineData("\"héllo wörld\".indexOf(\"w\") == 6")]
    [InlineData("\"hello\".substring(1) == \"ello\" && \"hello\".substring(1, 3) == \"el\"")]
    [InlineData("\"  x \".trim() == \"x\"")]
    [InlineData("\"aaa\".replace(\"a\", \"b\") == \"bbb\" && \"aaa\".replace(\"a\", \"b\", 2) == \"bba\"")]
    [InlineData("[\"a\", \"b\"].join() == \"ab\" && [\"a\", \"b\"].join(\"-\") == \"a-b\"")]
    [InlineData("strings.quote(\"a\\\"b\") == \"\\\"a\\\\\\\"b\\\"\"")]
    [InlineData("\"%s is %d years, %.2f%%\".format([\"x\", 3, 1.5]) == \"x is 3 years, 1.50%\"")]
    [InlineData("\"%x %X %o %b\".format([255, 255, 8, 5]) == \"ff FF 10 101\"")]
    [InlineData("\"%s\".format([[1, \"a\"]]) == \"[1, \\\"a\\\"]\"")]
    [InlineData("\"abc\".contains(\"b\") && \"abc\".startsWith(\"a\") && \"abc\".endsWith(\"c\")")]
    public void Strings(string expression) => AssertMatch(true, expression);

    [Fact]
    public void String_errors()
    {
        AssertError("\"abc\".charAt(4) == \"\"", "index out of range: 4");
        AssertError("\"abc\".substring(2, 1) == \"\"", "invalid substring range");
        AssertError("\"%d\".format([\"x\"]) == \"\"", "formatting");
        AssertError("\"%s %s\".format([\"x\"]) == \"\"", "out of range");
    }

    [Theory]
    [InlineData("\"abc123\".matches(\"^[a-z]+\\\\d+$\")", true)]
    [InlineData("\"abc\\n\".matches(\"c$\")", false)]
    [InlineData("\"x٣\".matches(\"\\\\d\")", false)]
    [InlineData("\"ab\".matches(\"(?P<name>a)b\")", true)]
    [InlineData("\"a1\".matches(\"[[:alpha:]][[:digit:]]\")", true)]
    [InlineData("\"ABC\".matches(\"(?i)abc\")", true)]
    [InlineData("matches(\"abc\", \"b\")", true)]
    [InlineData("\"abc 123 def 45\".find(\"[0-9]+\") == \"123\"", true)]
    [InlineData("\"abc 123 def 45\".findAll(\"[0-9]+\") == [\"123\", \"45\"]", true)]
    [InlineData("\"abc 123 def 45\".findAll(\"[0-9]+\", 1) == [\"123\"]", true)]
    [InlineData("\"abc\".find(\"x\") == \"\"", true)]
    public void Regex_has_RE2_semantics(string expression, bool expected) => AssertMatch(expected, expression);

    [Fact]
    public void Dynamic_invalid_regex_is_a_runtime_error()
    {
        var d = Device(new() { ["p"] = Str("(") });
        AssertError("\"a\".matches(device.attributes[\"dra.example.com\"].p)", "invalid regular expression", d);
        AssertCompileError("\"a\".matches(\"a(?=b)\")", "invalid regular expression");
    }

    [Theory]
    [InlineData("[1, 2, 3].isSorted() && ![2, 1].isSorted()")]
    [InlineData("[1, 2, 3].sum() == 6 && [1.5, 2.5].sum() == 4.0 && [].sum() == 0")]
    [InlineData("[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3")]
    [InlineData("[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2 && [1].indexOf(5) == -1")]
    [InlineData("[1, 2, 3, 4].slice(1, 3) == [2, 3]")]
    [InlineData("[[1], [2, [3]]].flatten() == [1, 2, [3]] && [[1], [2, [3]]].flatten(2) == [1, 2, 3]")]
    [InlineData("lists.range(3) == [0, 1, 2]")]
    [InlineData("[1, 2, 1, 3].distinct() == [1, 2, 3]")]
    [InlineData("[1, 2, 3].reverse() == [3, 2, 1]")]
    [InlineData("[3, 1, 2].sort() == [1, 2, 3] && [\"b\", \"a\"].sort() == [\"a\", \"b\"]")]
    [InlineData("[1, 2].first().value() == 1 && [1, 2].last().value() == 2 && ![].first().hasValue()")]
    [InlineData("sets.contains([1, 2, 3], [2, 3]) && !sets.contains([1], [2])")]
    [InlineData("sets.equivalent([1, 2], [2, 1, 1]) && sets.intersects([1, 2], [2, 3]) && !sets.intersects([1], [2])")]
    public void Lists_and_sets(string expression) => AssertMatch(true, expression);

    [Fact]
    public void List_errors()
    {
        AssertError("[].min() == 0", "empty list");
        AssertError("[1, 2].slice(1, 5) == []", "cannot slice");
        AssertError("[1, \"a\"].sort() == []", "no such overload");
    }

    [Theory]
    [InlineData("optional.of(1).value() == 1 && optional.of(1).hasValue()")]
    [InlineData("!optional.none().hasValue() && optional.none().orValue(5) == 5")]
    [InlineData("optional.ofNonZeroValue(0).orValue(9) == 9 && optional.ofNonZeroValue(\"a\").value() == \"a\"")]
    [InlineData("optional.none().or(optional.of(2)).value() == 2")]
    [InlineData("{\"a\": {\"b\": 1}}.?a.?b.orValue(0) == 1 && {\"a\": {\"b\": 1}}.?x.?b.orValue(0) == 0")]
    [InlineData("[1, 2][?5].orValue(0) == 0 && [1, 2][?1].value() == 2")]
    [InlineData("[1, ?optional.none(), ?optional.of(3)] == [1, 3]")]
    [InlineData("{\"a\": 1, ?\"b\": optional.none()} == {\"a\": 1}")]
    [InlineData("optional.of(1).optFlatMap(x, optional.of(x + 1)).value() == 2")]
    public void Optionals(string expression) => AssertMatch(true, expression);

    [Theory]
    [InlineData("url(\"https://example.com:8080/a%20b?x=1&x=2\").getScheme() == \"https\"")]
    [InlineData("url(\"https://example.com:8080/path\").getHost() == \"example.com:8080\"")]
    [InlineData("url(\"https://example.com:8080/path\").getHostname() == \"example.com\"")]
    [InlineData("url(\"https://example.com:8080/path\").getPort() == \"8080\" && url(\"https://example.com/\").getPort() == \"\"")]
    [InlineData("url(\"https://example.com/a%20b\").getEscapedPath() == \"/a%20b\"")]
    [InlineData("url(\"https://example.com/?x=1&x=2&y=\").getQuery() == {\"x\": [\"1\", \"2\"], \"y\": [\"\"]}")]
    [InlineData("isURL(\"/absolute/path\") && !isURL(\"not a url\")")]
    [InlineData("ip(\"10.0.0.1\").family() == 4 && ip(\"::1\").family() == 6 && ip(\"::1\").isLoopback()")]
    [InlineData("isIP(\"1.2.3.4\") && !isIP(\"1.2.3\") && !isIP(\"::ffff:1.2.3.4\")")]
    [InlineData("ip.isCanonical(\"2001:db8::1\") && !ip.isCanonical(\"2001:DB8::1\")")]
    [InlineData("cidr(\"10.0.0.0/8\").containsIP(ip(\"10.1.2.3\")) && !cidr(\"10.0.0.0/8\").containsIP(\"11.0.0.1\")")]
    [InlineData("cidr(\"10.0.0.0/8\").containsCIDR(\"10.1.0.0/16\") && cidr(\"10.1.2.3/8\").masked() == cidr(\"10.0.0.0/8\")")]
    [InlineData("cidr(\"10.0.0.0/8\").prefixLength() == 8 && string(cidr(\"10.0.0.0/8\").ip()) == \"10.0.0.0\"")]
    [InlineData("ip(\"169.254.1.1\").isLinkLocalUnicast() && ip(\"8.8.8.8\").isGlobalUnicast() && ip(\"0.0.0.0\").isUnspecified()")]
    public void Urls_and_ips(string expression) => AssertMatch(true, expression);
}
