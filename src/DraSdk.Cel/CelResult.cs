namespace DraSdk.Cel;

/// <summary>The outcome of evaluating a selector against one device.</summary>
/// <param name="Value">Whether the device matches; <see langword="null"/> when evaluation failed.</param>
/// <param name="Error">The runtime error, such as <c>no such key: model</c>, or <see langword="null"/>.</param>
/// <param name="Cost">The runtime cost spent, in CEL cost units.</param>
public readonly record struct CelResult(bool? Value, string? Error, long Cost)
{
    /// <summary>Whether evaluation failed; <see cref="Error"/> says why.</summary>
    public bool IsError => Error is not null;
}
