using k8s.Models;

namespace DraSdk.Cel.Tests;

internal static class Devices
{
    public const string Driver = "dra.example.com";

    public static V1DeviceAttribute Int(long v) => new() { IntValue = v };

    public static V1DeviceAttribute Bool(bool v) => new() { BoolValue = v };

    public static V1DeviceAttribute Str(string v) => new() { StringValue = v };

    public static V1DeviceAttribute Version(string v) => new() { Version = v };

    public static V1DeviceAttribute Ints(params long[] v) => new() { Ints = [.. v.Select(x => (long?)x)] };

    public static V1DeviceAttribute Bools(params bool[] v) => new() { Bools = [.. v.Select(x => (bool?)x)] };

    public static V1DeviceAttribute Strs(params string[] v) => new() { Strings = [.. v] };

    public static V1DeviceAttribute Versions(params string[] v) => new() { Versions = [.. v] };

    public static V1DeviceCapacity Qty(string v) => new() { Value = new ResourceQuantity(v) };

    public static CelDevice Device(
        Dictionary<string, V1DeviceAttribute>? attributes = null,
        Dictionary<string, V1DeviceCapacity>? capacity = null,
        string driver = Driver,
        bool? allowMultipleAllocations = null) =>
        new(driver, attributes, capacity, allowMultipleAllocations);

    public static CelResult Eval(string expression, CelDevice? device = null, CelFeatures features = CelFeatures.All, long costLimit = 1_000_000) =>
        CelEnvironment.Create(features, costLimit).Compile(expression).Evaluate(device ?? Device());

    public static void AssertMatch(bool expected, string expression, CelDevice? device = null, CelFeatures features = CelFeatures.All)
    {
        CelResult r = Eval(expression, device, features);
        Assert.True(r.Error is null, $"unexpected error for {expression}: {r.Error}");
        Assert.Equal(expected, r.Value);
    }

    public static string AssertError(string expression, string contains, CelDevice? device = null, CelFeatures features = CelFeatures.All)
    {
        CelResult r = Eval(expression, device, features);
        Assert.True(r.IsError, $"expected an error for {expression}, got {r.Value}");
        Assert.Null(r.Value);
        Assert.Contains(contains, r.Error, StringComparison.Ordinal);
        return r.Error!;
    }

    public static CelCompileException AssertCompileError(string expression, string contains, CelFeatures features = CelFeatures.All)
    {
        var env = CelEnvironment.Create(features);
        var e = Assert.Throws<CelCompileException>(() => env.Compile(expression));
        Assert.Contains(contains, e.Message, StringComparison.Ordinal);
        Assert.False(env.TryCompile(expression, out var p, out var err));
        Assert.Null(p);
        Assert.NotNull(err);
        return e;
    }
}
