using System.Diagnostics;
using static DraSdk.Cel.Tests.Devices;

namespace DraSdk.Cel.Tests;

/// <summary>The runtime cost limit, cancellation and the compiled-program cache.</summary>
public sealed class CostAndCacheTests
{
    private const string Expensive =
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(x, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(y, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z, " +
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z4, " +
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z5, int('1'.find('[0-9]*')) < 100)))))))";

    [Fact]
    public void Cost_limit_stops_a_hostile_expression_quickly()
    {
        var sw = Stopwatch.StartNew();
        CelResult r = Eval(Expensive);
        sw.Stop();
        Assert.True(r.IsError);
        Assert.Contains("actual cost limit exceeded", r.Error, StringComparison.Ordinal);
        Assert.True(r.Cost > 1_000_000);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Cost_limit_is_configurable()
    {
        const string expr = "lists.range(100).all(x, x >= 0)";
        AssertMatch(true, expr);
        CelResult r = Eval(expr, costLimit: 50);
        Assert.Contains("actual cost limit exceeded", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Growing_strings_are_charged_before_they_are_built()
    {
        // Each bind doubles the string; the cost of concatenation grows with its size.
        string expr = "cel.bind(s0, \"xxxxxxxxxxxxxxxx\", " + string.Concat(Enumerable.Range(1, 40).Select(i => $"cel.bind(s{i}, s{i - 1} + s{i - 1}, ")) +
            "s40.size() > 0" + new string(')', 41);
        CelResult r = Eval(expr);
        Assert.Contains("actual cost limit exceeded", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Cost_is_reported_and_small_for_simple_selectors()
    {
        var d = Device(new() { ["model"] = Str("A100") });
        CelResult r = Eval("device.attributes[\"dra.example.com\"].model == \"A100\"", d);
        Assert.True(r.Value);
        Assert.InRange(r.Cost, 1, 20);
    }

    [Fact]
    public void Cancellation_interrupts_evaluation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        CelResult r = CelEnvironment.Create(costLimit: long.MaxValue).Compile("lists.range(100000).all(x, x >= 0)").Evaluate(Device(), cts.Token);
        Assert.Equal("operation interrupted", r.Error);
    }

    [Fact]
    public void Compile_results_are_cached()
    {
        var env = CelEnvironment.Create();
        CelProgram a = env.Compile("device.driver == \"cache.example.com\"");
        CelProgram b = env.Compile("device.driver == \"cache.example.com\"");
        Assert.Same(a, b);
        Assert.Equal("device.driver == \"cache.example.com\"", a.Expression);
        var e1 = Assert.Throws<CelCompileException>(() => env.Compile("cache &&"));
        var e2 = Assert.Throws<CelCompileException>(() => env.Compile("cache &&"));
        Assert.Equal(e1.Position, e2.Position);
        Assert.True(env.TryCompile("true", out var p, out var err));
        Assert.NotNull(p);
        Assert.Null(err);
    }

    [Fact]
    public async Task Concurrent_compiles_and_evaluations_agree()
    {
        var env = CelEnvironment.Create();
        var d = Device(new() { ["n"] = Int(5) });
        var tasks = Enumerable.Range(0, 16).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                var p = env.Compile($"device.attributes[\"dra.example.com\"].n + {i % 20} > {i % 20}");
                Assert.True(p.Evaluate(d, TestContext.Current.CancellationToken).Value);
            }
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(tasks);
    }

    [Fact]
    public void Device_values_are_computed_once_and_shared()
    {
        var d = Device(new() { ["n"] = Int(5) }, new() { ["m"] = Qty("1Gi") });
        var env = CelEnvironment.Create();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(env.Compile("device.attributes[\"dra.example.com\"].n == 5").Evaluate(d, TestContext.Current.CancellationToken).Value);
            Assert.True(env.Compile("device.capacity[\"dra.example.com\"].m.isGreaterThan(quantity(\"1\"))").Evaluate(d, TestContext.Current.CancellationToken).Value);
        }
    }

    [Fact]
    public void Evaluate_never_throws_for_runtime_errors()
    {
        var env = CelEnvironment.Create();
        var d = Device(new() { ["s"] = Str("x") });
        foreach (string expr in new[]
        {
            "device.attributes[\"dra.example.com\"].s > 1",
            "device.attributes[\"dra.example.com\"].s.isGreaterThan(semver(\"1.0.0\"))",
            "device.attributes[\"dra.example.com\"].s.all(x, true)",
            "device.attributes[\"dra.example.com\"].s[0] == 1",
            "device.attributes[\"dra.example.com\"].s.foo",
        })
        {
            CelResult r = env.Compile(expr).Evaluate(d, TestContext.Current.CancellationToken);
            Assert.True(r.IsError, expr);
        }

        Assert.Throws<ArgumentNullException>(() => env.Compile("true").Evaluate(null!, TestContext.Current.CancellationToken));
    }
}
