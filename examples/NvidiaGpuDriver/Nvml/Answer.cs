using System.Diagnostics.CodeAnalysis;

namespace NvidiaGpuDriver.Nvml;

/// <summary>
/// One of NVML's answers: a value, an error NVML returned for that call (<c>ERR:&lt;error&gt;:&lt;message&gt;</c> in a
/// snapshot), or absent (the snapshot does not have it).
/// </summary>
internal readonly struct Answer<T>
{
    private Answer(T? value, string? error, bool hasValue)
    {
        Value = value;
        Error = error;
        HasValue = hasValue;
    }

    /// <summary>The value, when <see cref="HasValue"/>.</summary>
    public T? Value { get; }

    /// <summary>Why there is no value: NVML's error, or a malformed entry; null when absent or present.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool HasValue { get; }

    public bool IsAbsent => !HasValue && Error is null;

    public static Answer<T> Of(T value) => new(value, null, true);

    public static Answer<T> Failed(string error) => new(default, error, false);

    public static Answer<T> Absent => default;

    /// <summary>The value, or what is wrong with it, for messages.</summary>
    public string Describe() => HasValue ? Value.ToString() ?? string.Empty : Error ?? "absent";

    public override string ToString() => Describe();
}
