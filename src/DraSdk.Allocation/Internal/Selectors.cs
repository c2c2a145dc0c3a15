using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DraSdk.Cel;
using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>Evaluates CEL device selectors, caching compiled programs and per-device results.</summary>
internal sealed class SelectorEvaluator
{
    private readonly CelEnvironment _environment;
    private readonly ConcurrentDictionary<ResultKey, bool> _results = new();
    private readonly ConditionalWeakTable<V1Device, CelDevice> _devices = [];

    public SelectorEvaluator(AllocatorFeatures features)
    {
        var celFeatures = CelFeatures.None;
        if (features.HasFlag(AllocatorFeatures.ListTypeAttributes))
        {
            celFeatures |= CelFeatures.ListTypeAttributes;
        }
        if (features.HasFlag(AllocatorFeatures.ConsumableCapacity))
        {
            celFeatures |= CelFeatures.ConsumableCapacity;
        }
        _environment = CelEnvironment.Create(celFeatures);
    }

    /// <summary>
    /// True when every selector matches. Throws <see cref="AllocationException"/> on a compile
    /// or runtime error; <paramref name="owner"/> names the class or claim in the message.
    /// </summary>
    public bool Matches(IList<V1DeviceSelector>? selectors, V1Device device, DeviceId id, string owner, CancellationToken cancellationToken)
    {
        if (selectors is null)
        {
            return true;
        }
        for (var i = 0; i < selectors.Count; i++)
        {
            var expression = selectors[i]?.Cel?.Expression ?? "";
            var key = new ResultKey(device, expression);
            if (_results.TryGetValue(key, out var cached))
            {
                if (!cached)
                {
                    return false;
                }
                continue;
            }
            CelProgram program;
            try
            {
                program = _environment.Compile(expression);
            }
            catch (CelCompileException e)
            {
                throw new AllocationException($"{owner}: selector #{i}: CEL compile error: {e.Message}", e);
            }
            var celDevice = _devices.GetValue(device, d => CelDevice.From(id.Driver, d));
            var result = program.Evaluate(celDevice, cancellationToken);
            if (result.IsError || result.Value is null)
            {
                throw new AllocationException($"{owner}: selector #{i} on device {id}: CEL runtime error: {result.Error ?? "no boolean result"}");
            }
            _results[key] = result.Value.Value;
            if (!result.Value.Value)
            {
                return false;
            }
        }
        return true;
    }

    private readonly struct ResultKey(V1Device device, string expression) : IEquatable<ResultKey>
    {
        private readonly V1Device _device = device;
        private readonly string _expression = expression;

        public bool Equals(ResultKey other) => ReferenceEquals(_device, other._device) && string.Equals(_expression, other._expression, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is ResultKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(_device), StringComparer.Ordinal.GetHashCode(_expression));
    }
}
