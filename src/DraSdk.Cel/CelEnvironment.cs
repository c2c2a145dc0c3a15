using System.Collections.Concurrent;
using DraSdk.Cel.Internal;

namespace DraSdk.Cel;

/// <summary>
/// The CEL environment of DRA device selectors for one feature set and cost limit, with a thread-safe LRU cache of
/// compiled programs (each expression compiles once, even when many threads ask for it at the same time).
/// </summary>
public sealed class CelEnvironment
{
    /// <summary>The default runtime cost limit of a selector (Kubernetes' CELSelectorExpressionMaxCost).</summary>
    public const long DefaultCostLimit = 1_000_000;

    /// <summary>The longest expression accepted, in characters (Kubernetes' CELSelectorExpressionMaxLength).</summary>
    public const int MaxExpressionLength = 10 * 1024;

    private const int CacheCapacity = 1024;
    private static readonly ConcurrentDictionary<(CelFeatures, long), CelEnvironment> Environments = new();

    private readonly LruCache<string, (CelProgram? Program, CelCompileException? Error)> _cache = new(CacheCapacity);

    private CelEnvironment(CelFeatures features, long costLimit)
    {
        Features = features;
        CostLimit = costLimit;
    }

    /// <summary>The feature gates of this environment.</summary>
    public CelFeatures Features { get; }

    /// <summary>The runtime cost limit of each evaluation.</summary>
    public long CostLimit { get; }

    /// <summary>Returns the (shared) environment for a feature set and cost limit.</summary>
    /// <param name="features">The DRA feature gates that shape the environment.</param>
    /// <param name="costLimit">The runtime cost limit of one evaluation.</param>
    /// <returns>The environment.</returns>
    public static CelEnvironment Create(CelFeatures features = CelFeatures.All, long costLimit = DefaultCostLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(costLimit);
        features &= CelFeatures.All;
        return Environments.GetOrAdd((features, costLimit), static k => new CelEnvironment(k.Item1, k.Item2));
    }

    /// <summary>Parses, type-checks and compiles a selector, or returns the cached program.</summary>
    /// <param name="expression">The CEL expression; it must evaluate to bool.</param>
    /// <returns>The program.</returns>
    /// <exception cref="CelCompileException">The expression is invalid; the exception names the position.</exception>
    public CelProgram Compile(string expression)
    {
        var (program, error) = GetOrCompile(expression);
        if (error is not null)
        {
            throw new CelCompileException(expression, error.Position, error.Detail);
        }

        return program!;
    }

    /// <summary>Like <see cref="Compile"/>, without throwing for an invalid expression.</summary>
    /// <param name="expression">The CEL expression.</param>
    /// <param name="program">The program, or null when the expression is invalid.</param>
    /// <param name="error">Why the expression is invalid, or null.</param>
    /// <returns>Whether the expression compiled.</returns>
    public bool TryCompile(string expression, out CelProgram? program, out CelCompileException? error)
    {
        (program, error) = GetOrCompile(expression);
        return program is not null;
    }

    private (CelProgram?, CelCompileException?) GetOrCompile(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return _cache.GetOrAdd(expression, CompileUncached);
    }

    private (CelProgram?, CelCompileException?) CompileUncached(string expression)
    {
        if (expression.Length > MaxExpressionLength)
        {
            return (null, new CelCompileException(
                expression,
                MaxExpressionLength,
                $"expression too long: {expression.Length} characters, the limit is {MaxExpressionLength}"));
        }

        try
        {
            var (root, locals, safe) = Compiler.Compile(expression, Features);
            return (new CelProgram(expression, root, locals, safe, Features, CostLimit), null);
        }
        catch (CelCompileException e)
        {
            return (null, e);
        }
    }
}
