namespace DraSdk.Cel;

/// <summary>An expression that does not parse or type-check, with the position of the problem.</summary>
public sealed class CelCompileException : Exception
{
    /// <summary>Creates an exception with a message only (position 0).</summary>
    public CelCompileException() : this("invalid CEL expression")
    {
    }

    /// <summary>Creates an exception with a message only (position 0).</summary>
    /// <param name="message">What is wrong.</param>
    public CelCompileException(string message) : base(message)
    {
        Detail = message;
        Line = 1;
        Column = 1;
    }

    /// <summary>Creates an exception with a message and an inner exception (position 0).</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public CelCompileException(string message, Exception innerException) : base(message, innerException)
    {
        Detail = message;
        Line = 1;
        Column = 1;
    }

    internal CelCompileException(string expression, int position, string detail)
        : base(Format(expression, position, detail, out int line, out int column))
    {
        Detail = detail;
        Position = position;
        Line = line;
        Column = column;
    }

    /// <summary>The 0-based character offset in the expression where the problem is.</summary>
    public int Position { get; }

    /// <summary>The 1-based line of <see cref="Position"/>.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of <see cref="Position"/>.</summary>
    public int Column { get; }

    /// <summary>What is wrong, without the position and the excerpt.</summary>
    public string Detail { get; }

    private static string Format(string expression, int position, string detail, out int line, out int column)
    {
        position = Math.Clamp(position, 0, expression.Length);
        line = 1;
        int lineStart = 0;
        for (int i = 0; i < position; i++)
        {
            if (expression[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        column = position - lineStart + 1;
        int lineEnd = expression.IndexOf('\n', lineStart);
        string text = lineEnd < 0 ? expression[lineStart..] : expression[lineStart..lineEnd];
        if (text.Length > 200)
        {
            return $"ERROR: <input>:{line}:{column}: {detail}";
        }

        return $"ERROR: <input>:{line}:{column}: {detail}\n | {text}\n | {new string('.', column - 1)}^";
    }
}
