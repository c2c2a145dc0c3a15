namespace DraSdk.Cdi;

/// <summary>One problem in a CDI spec.</summary>
/// <param name="Field">The path of the offending field, e.g. <c>devices[0].containerEdits.env[1]</c>.</param>
/// <param name="Message">What is wrong with it.</param>
public sealed record CdiValidationError(string Field, string Message)
{
    /// <summary><c>field: message</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Thrown when a CDI spec is invalid; <see cref="Errors"/> lists every problem with its field path.</summary>
public sealed class CdiValidationException : Exception
{
    /// <summary>Creates the exception for the given problems.</summary>
    /// <param name="errors">The problems; at least one.</param>
    public CdiValidationException(IReadOnlyList<CdiValidationError> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    public CdiValidationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    /// <param name="message">The message.</param>
    public CdiValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message, an inner exception and no listed problems.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CdiValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<CdiValidationError> Errors { get; }

    private static string FormatMessage(IReadOnlyList<CdiValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count switch
        {
            0 => "The CDI spec is invalid.",
            1 => $"The CDI spec is invalid: {errors[0]}",
            _ => $"The CDI spec has {errors.Count} problems:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", errors),
        };
    }
}

/// <summary>
/// Thrown when a spec needs a newer <c>cdiVersion</c> than the target runtime reads; nothing is written. The message
/// names the field that forced the version and the cap.
/// </summary>
public sealed class CdiVersionCapExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The spec's kind.</param>
    /// <param name="requirement">What the spec needs and why.</param>
    /// <param name="cap">The highest version the target runtime reads.</param>
    public CdiVersionCapExceededException(string kind, CdiVersionRequirement requirement, CdiVersion cap)
        : base(FormatMessage(kind, requirement, cap))
    {
        Requirement = requirement;
        Cap = cap;
    }

    /// <summary>Creates the exception with a message.</summary>
    public CdiVersionCapExceededException()
    {
        Requirement = CdiVersionRequirement.Floor;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CdiVersionCapExceededException(string message)
        : base(message)
    {
        Requirement = CdiVersionRequirement.Floor;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CdiVersionCapExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
        Requirement = CdiVersionRequirement.Floor;
    }

    /// <summary>The version the spec needs, and the field that forced it.</summary>
    public CdiVersionRequirement Requirement { get; }

    /// <summary>The highest version the target runtime reads.</summary>
    public CdiVersion Cap { get; }

    private static string FormatMessage(string kind, CdiVersionRequirement requirement, CdiVersion cap)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        string why = requirement.Field is null ? string.Empty : $": {requirement}";
        return $"The CDI spec for {kind} needs cdiVersion {requirement.Version}{why}; the target runtime reads at " +
            $"most cdiVersion {cap}, so the spec was not written. Remove that content or raise the cap.";
    }
}
