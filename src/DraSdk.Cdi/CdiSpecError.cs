namespace DraSdk.Cdi;

/// <summary>One problem found while reading a CDI spec file: where it is (file, field, line) and what is wrong.</summary>
/// <param name="SourceName">The file (or the name given to <see cref="CdiSpecReader.Parse"/>), e.g. <c>/etc/cdi/vendor.yaml</c>.</param>
/// <param name="Field">The path of the offending field, e.g. <c>devices[1].containerEdits.deviceNodes[0].permissions</c>;
/// <see langword="null"/> for a problem with the file as a whole (unreadable, not JSON or YAML).</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Line">The 1-based line of the problem in the file, or 0 when unknown.</param>
/// <param name="Column">The 1-based column of the problem in the file, or 0 when unknown.</param>
public sealed record CdiSpecError(string SourceName, string? Field, string Message, int Line = 0, int Column = 0)
{
    /// <summary>
    /// For example <c>/etc/cdi/vendor.yaml: devices[1].containerEdits.deviceNodes[0].permissions: "rwz" must use only
    /// the letters r, w and m (line 14, column 22)</c>.
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string where = Line > 0 ? $" (line {Line}, column {Column})" : string.Empty;
        return Field is null ? $"{SourceName}: {Message}{where}" : $"{SourceName}: {Field}: {Message}{where}";
    }
}

/// <summary>
/// Thrown when a CDI spec file cannot be read as a valid spec; <see cref="Errors"/> lists every problem with its file,
/// field and line.
/// </summary>
public sealed class CdiSpecException : Exception
{
    /// <summary>Creates the exception for the given problems.</summary>
    /// <param name="errors">The problems; at least one.</param>
    public CdiSpecException(IReadOnlyList<CdiSpecError> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with no listed problems.</summary>
    public CdiSpecException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    /// <param name="message">The message.</param>
    public CdiSpecException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message, an inner exception and no listed problems.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CdiSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<CdiSpecError> Errors { get; }

    private static string FormatMessage(IReadOnlyList<CdiSpecError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count switch
        {
            0 => "The CDI spec is invalid.",
            1 => $"Invalid CDI spec: {errors[0]}",
            _ => $"Invalid CDI spec, {errors.Count} problems:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", errors),
        };
    }
}
