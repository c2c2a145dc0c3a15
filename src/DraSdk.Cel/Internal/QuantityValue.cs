using System.Globalization;

namespace DraSdk.Cel.Internal;

/// <summary>A Kubernetes resource quantity, held as an exact decimal.</summary>
internal sealed class QuantityValue(decimal value, string text)
{
    private static readonly System.Buffers.SearchValues<char> ExponentChars = System.Buffers.SearchValues.Create("+-0123456789");

    public decimal Value { get; } = value;

    public string Text { get; } = text;

    public override string ToString() => Text;

    public static QuantityValue FromDecimal(decimal d) => new(d, d.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Parses the Kubernetes quantity grammar: a signed decimal number, then a binary SI suffix (Ki…Ei), a decimal SI
    /// suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2).
    /// </summary>
    public static bool TryParse(string s, out QuantityValue? quantity, out string? error)
    {
        quantity = null;
        error = null;
        if (string.IsNullOrEmpty(s))
        {
            error = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
            return false;
        }

        int i = 0;
        bool negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i++;
        }

        int numberStart = i;
        int digits = 0;
        bool dot = false;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || (s[i] == '.' && !dot)))
        {
            if (s[i] == '.')
            {
                dot = true;
            }
            else
            {
                digits++;
            }

            i++;
        }

        if (digits == 0)
        {
            error = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
            return false;
        }

        string number = s[numberStart..i];
        string suffix = s[i..];
        decimal multiplier;
        int exponent10 = 0;
        switch (suffix)
        {
            case "": multiplier = 1; break;
            case "Ki": multiplier = 1024m; break;
            case "Mi": multiplier = 1024m * 1024; break;
            case "Gi": multiplier = 1024m * 1024 * 1024; break;
            case "Ti": multiplier = 1024m * 1024 * 1024 * 1024; break;
            case "Pi": multiplier = 1024m * 1024 * 1024 * 1024 * 1024; break;
            case "Ei": multiplier = 1024m * 1024 * 1024 * 1024 * 1024 * 1024; break;
            case "n": multiplier = 1; exponent10 = -9; break;
            case "u": multiplier = 1; exponent10 = -6; break;
            case "m": multiplier = 1; exponent10 = -3; break;
            case "k": multiplier = 1; exponent10 = 3; break;
            case "M": multiplier = 1; exponent10 = 6; break;
            case "G": multiplier = 1; exponent10 = 9; break;
            case "T": multiplier = 1; exponent10 = 12; break;
            case "P": multiplier = 1; exponent10 = 15; break;
            case "E": multiplier = 1; exponent10 = 18; break;
            default:
                if (suffix.Length >= 2 && suffix[0] is 'e' or 'E' &&
                    int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int e) &&
                    suffix.AsSpan(1).IndexOfAnyExcept(ExponentChars) < 0)
                {
                    multiplier = 1;
                    exponent10 = e;
                    break;
                }

                error = "unable to parse quantity's suffix";
                return false;
        }

        try
        {
            decimal d = decimal.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            d *= multiplier;
            if (exponent10 > 0)
            {
                if (exponent10 > 40)
                {
                    error = "quantity is too large";
                    return false;
                }

                for (int k = 0; k < exponent10; k++)
                {
                    d *= 10;
                }
            }
            else if (exponent10 < 0)
            {
                if (exponent10 < -40)
                {
                    d = 0;
                }
                else
                {
                    for (int k = 0; k < -exponent10; k++)
                    {
                        d /= 10;
                    }
                }
            }

            quantity = new QuantityValue(negative ? -d : d, s);
            return true;
        }
        catch (OverflowException)
        {
            error = "quantity is too large";
            return false;
        }
    }
}
