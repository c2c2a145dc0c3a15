using System.Runtime.CompilerServices;

namespace DraSdk.Cel.Internal;

/// <summary>Thrown to abort an evaluation that spent more than the cost limit.</summary>
internal sealed class CostLimitExceededException : Exception
{
    public CostLimitExceededException() : base("operation cancelled: actual cost limit exceeded")
    {
    }

    public CostLimitExceededException(string message) : base(message)
    {
    }

    public CostLimitExceededException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>Per-evaluation state, passed by reference through the compiled nodes (no allocation).</summary>
internal struct EvalState
{
    public CelDevice Device;
    public DeviceData Data;
    public Value[] Locals;
    public long Cost;
    public long Limit;
    public CancellationToken Token;
    public int Ticks;

    /// <summary>Adds cost and aborts past the limit. Used where cost grows with data (loops, big strings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Charge(long amount)
    {
        Cost += amount;
        if (Cost > Limit)
        {
            ThrowCostExceeded();
        }
    }

    /// <summary>One loop iteration: cost, limit and (every 128 iterations) cancellation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tick()
    {
        Cost++;
        if (Cost > Limit)
        {
            ThrowCostExceeded();
        }

        if ((++Ticks & 127) == 0)
        {
            Token.ThrowIfCancellationRequested();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCostExceeded() => throw new CostLimitExceededException();
}
