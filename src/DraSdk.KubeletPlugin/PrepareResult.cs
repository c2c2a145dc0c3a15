namespace DraSdk.KubeletPlugin;

/// <summary>The outcome of preparing one claim: the prepared devices, or an error for the user.</summary>
public sealed class PrepareResult
{
    private PrepareResult(IReadOnlyList<PreparedDevice> devices, string? error)
    {
        Devices = devices;
        Error = error;
    }

    /// <summary>The prepared devices; empty when preparing failed.</summary>
    public IReadOnlyList<PreparedDevice> Devices { get; }

    /// <summary>Why preparing failed, or <see langword="null"/> on success.</summary>
    public string? Error { get; }

    /// <summary>Whether the claim was prepared.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A successful result with the given devices.</summary>
    /// <param name="devices">The prepared devices, each with the CDI device ids the container runtime must inject.</param>
    public static PrepareResult Success(IEnumerable<PreparedDevice> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        return new PrepareResult([.. devices], null);
    }

    /// <summary>A failed result; the message reaches the kubelet and the pod's events.</summary>
    /// <param name="error">What went wrong, for the user.</param>
    public static PrepareResult Failure(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new PrepareResult([], error);
    }
}

/// <summary>The outcome of unpreparing one claim.</summary>
public sealed class UnprepareResult
{
    private static readonly UnprepareResult SuccessResult = new(null);

    private UnprepareResult(string? error) => Error = error;

    /// <summary>Why unpreparing failed, or <see langword="null"/> on success.</summary>
    public string? Error { get; }

    /// <summary>Whether the claim was unprepared.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A successful result.</summary>
    public static UnprepareResult Success() => SuccessResult;

    /// <summary>A failed result; the kubelet retries.</summary>
    /// <param name="error">What went wrong.</param>
    public static UnprepareResult Failure(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new UnprepareResult(error);
    }
}
