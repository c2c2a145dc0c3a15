using DraSdk.Cel.Internal;

namespace DraSdk.Cel;

/// <summary>A compiled selector. Thread-safe; evaluate it against any number of devices.</summary>
public sealed class CelProgram
{
    private readonly Node _root;
    private readonly int _locals;
    private readonly bool _safe;
    private readonly bool _listTypeAttributes;
    private readonly long _costLimit;

    internal CelProgram(string expression, Node root, int locals, bool safe, CelFeatures features, long costLimit)
    {
        Expression = expression;
        _root = root;
        _locals = locals;
        _safe = safe;
        _listTypeAttributes = features.HasFlag(CelFeatures.ListTypeAttributes);
        _costLimit = costLimit;
    }

    /// <summary>The source expression.</summary>
    public string Expression { get; }

    /// <summary>
    /// Evaluates the selector against a device. Never throws for runtime errors: a missing attribute, a type mismatch,
    /// an exceeded cost limit or cancellation come back in <see cref="CelResult.Error"/>.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="cancellationToken">Checked while iterating, so that a long evaluation can be interrupted.</param>
    /// <returns>Whether the device matches, or why it could not be decided, with the cost spent.</returns>
    public CelResult Evaluate(CelDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        DeviceData data = device.GetData(_listTypeAttributes);
        if (data.Error is not null)
        {
            return new CelResult(null, data.Error, 0);
        }

        var state = new EvalState
        {
            Device = device,
            Data = data,
            Limit = _costLimit,
            Token = cancellationToken,
            Locals = _locals == 0 ? [] : new Value[_locals],
        };
        if (_safe)
        {
            // No loop and no size-dependent charge: nothing below can throw, so no exception guard is needed.
            Value v = _root.Eval(ref state);
            return v.Kind == ValueKind.Bool && state.Cost <= _costLimit ? new CelResult(v.AsBool, null, state.Cost) : ToResult(v, state.Cost);
        }

        return EvaluateGuarded(ref state);
    }

    private CelResult EvaluateGuarded(ref EvalState state)
    {
        try
        {
            Value v = _root.Eval(ref state);
            return ToResult(v, state.Cost);
        }
        catch (CostLimitExceededException e)
        {
            return new CelResult(null, e.Message, state.Cost);
        }
        catch (OperationCanceledException)
        {
            return new CelResult(null, "operation interrupted", state.Cost);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new CelResult(null, $"internal error evaluating CEL expression: {e.Message}", state.Cost);
        }
    }

    private CelResult ToResult(in Value v, long cost)
    {
        if (cost > _costLimit)
        {
            return new CelResult(null, "operation cancelled: actual cost limit exceeded", cost);
        }

        return v.Kind switch
        {
            ValueKind.Bool => new CelResult(v.AsBool, null, cost),
            ValueKind.Error => new CelResult(null, v.ErrorMessage, cost),
            _ => new CelResult(null, $"CEL result of type {v.TypeName()} could not be converted to bool", cost),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => Expression;
}
