using System.Globalization;

namespace DraSdk.Testing;

/// <summary>
/// One field-level validation failure, reported by <see cref="InMemoryKubernetesApiServer"/> as a cause of a
/// <c>422 Invalid</c> Status, the way the real API server reports <c>field.Error</c>s.
/// </summary>
/// <param name="Reason">The cause reason, for example <c>FieldValueRequired</c> or <c>FieldValueInvalid</c>.</param>
/// <param name="Field">The field path, for example <c>spec.devices[0].name</c>.</param>
/// <param name="Message">The message, for example <c>Required value</c>.</param>
public sealed record ApiFieldError(string Reason, string Field, string Message)
{
    /// <summary>A required field is missing (<c>FieldValueRequired</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="detail">Optional explanation appended to the message.</param>
    public static ApiFieldError Required(string field, string? detail = null) =>
        new("FieldValueRequired", field, detail is null ? "Required value" : "Required value: " + detail);

    /// <summary>A field has an invalid value (<c>FieldValueInvalid</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="value">The offending value, shown in the message.</param>
    /// <param name="detail">Why it is invalid.</param>
    public static ApiFieldError Invalid(string field, object? value, string detail) =>
        new("FieldValueInvalid", field, "Invalid value: " + Show(value) + ": " + detail);

    /// <summary>A field may not be set here (<c>FieldValueForbidden</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="detail">Why it is forbidden.</param>
    public static ApiFieldError Forbidden(string field, string detail) =>
        new("FieldValueForbidden", field, "Forbidden: " + detail);

    /// <summary>A value appears twice where it must be unique (<c>FieldValueDuplicate</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="value">The duplicated value.</param>
    public static ApiFieldError Duplicate(string field, object? value) =>
        new("FieldValueDuplicate", field, "Duplicate value: " + Show(value));

    /// <summary>A list has too many items (<c>FieldValueTooMany</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="actual">How many items there are.</param>
    /// <param name="maximum">How many are allowed.</param>
    public static ApiFieldError TooMany(string field, int actual, int maximum) =>
        new("FieldValueTooMany", field, string.Create(CultureInfo.InvariantCulture, $"Too many: {actual}: must have at most {maximum} items"));

    /// <summary>A string is too long (<c>FieldValueTooLong</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="maximum">The maximum length.</param>
    public static ApiFieldError TooLong(string field, int maximum) =>
        new("FieldValueTooLong", field, string.Create(CultureInfo.InvariantCulture, $"Too long: may not be more than {maximum} bytes"));

    /// <summary>A value is not one of the supported values (<c>FieldValueNotSupported</c>).</summary>
    /// <param name="field">The field path.</param>
    /// <param name="value">The offending value.</param>
    /// <param name="supported">The supported values.</param>
    public static ApiFieldError NotSupported(string field, object? value, params IEnumerable<string> supported) =>
        new("FieldValueNotSupported", field, "Unsupported value: " + Show(value) + ": supported values: " + string.Join(", ", supported.Select(s => "\"" + s + "\"")));

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
