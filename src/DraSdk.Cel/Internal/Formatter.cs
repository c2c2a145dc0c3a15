using System.Globalization;
using System.Text;

namespace DraSdk.Cel.Internal;

/// <summary><c>"...".format([args])</c>: %s %d %f %e %x %X %o %b %% with an optional precision for %f and %e.</summary>
internal static class Formatter
{
    public static Value Format(ref EvalState s, string format, Value[] args)
    {
        var sb = new StringBuilder(format.Length + 16);
        int argIndex = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }

            if (++i >= format.Length)
            {
                return Value.Error("could not parse formatting clause: unexpected end of string");
            }

            if (format[i] == '%')
            {
                sb.Append('%');
                continue;
            }

            int? precision = null;
            if (format[i] == '.')
            {
                int start = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i]))
                {
                    i++;
                }

                if (i == start || i >= format.Length)
                {
                    return Value.Error("could not parse formatting clause: invalid precision");
                }

                precision = int.Parse(format.AsSpan(start, i - start), CultureInfo.InvariantCulture);
                if (precision > 100)
                {
                    return Value.Error("could not parse formatting clause: precision too large");
                }
            }

            if (argIndex >= args.Length)
            {
                return Value.Error($"index {argIndex} out of range");
            }

            Value arg = args[argIndex++];
            string? piece = format[i] switch
            {
                's' => AsString(arg),
                'd' => arg.Kind switch
                {
                    ValueKind.Int => arg.AsInt.ToString(CultureInfo.InvariantCulture),
                    ValueKind.Uint => arg.AsUint.ToString(CultureInfo.InvariantCulture),
                    ValueKind.Double when double.IsNaN(arg.AsDouble) || double.IsInfinity(arg.AsDouble) => Value.FormatDouble(arg.AsDouble),
                    _ => null,
                },
                'f' => Number(arg) is double d ? FormatFixed(d, precision ?? 6) : null,
                'e' => Number(arg) is double e ? FormatExp(e, precision ?? 6) : null,
                'x' or 'X' => Hex(arg, format[i] == 'X'),
                'o' => arg.Kind switch
                {
                    ValueKind.Int => arg.AsInt < 0 ? "-" + Convert.ToString(-arg.AsInt, 8) : Convert.ToString(arg.AsInt, 8),
                    ValueKind.Uint => Convert.ToString(unchecked((long)arg.AsUint), 8),
                    _ => null,
                },
                'b' => arg.Kind switch
                {
                    ValueKind.Int => arg.AsInt < 0 ? "-" + Convert.ToString(-arg.AsInt, 2) : Convert.ToString(arg.AsInt, 2),
                    ValueKind.Uint => Convert.ToString(unchecked((long)arg.AsUint), 2),
                    ValueKind.Bool => arg.AsBool ? "true" : "false",
                    _ => null,
                },
                _ => null,
            };
            if (piece is null)
            {
                return Value.Error($"error during formatting: unrecognized formatting clause or type: %{format[i]} with {arg.TypeName()}");
            }

            sb.Append(piece);
            s.Charge(piece.Length / 10);
        }

        return Value.String(sb.ToString());
    }

    private static double? Number(in Value v) => v.Kind switch
    {
        ValueKind.Double => v.AsDouble,
        ValueKind.Int => v.AsInt,
        ValueKind.Uint => v.AsUint,
        _ => null,
    };

    private static string FormatFixed(double d, int precision) =>
        double.IsNaN(d) || double.IsInfinity(d) ? Value.FormatDouble(d) : d.ToString("F" + precision, CultureInfo.InvariantCulture);

    private static string FormatExp(double d, int precision)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            return Value.FormatDouble(d);
        }

        string r = d.ToString((precision == 0 ? "0" : "0." + new string('0', precision)) + "e+00", CultureInfo.InvariantCulture);
        return r;
    }

    private static string? Hex(in Value v, bool upper)
    {
        string fmt = upper ? "X" : "x";
        return v.Kind switch
        {
            ValueKind.Int => v.AsInt < 0
                ? "-" + (unchecked((ulong)(-(v.AsInt + 1))) + 1).ToString(fmt, CultureInfo.InvariantCulture)
                : v.AsInt.ToString(fmt, CultureInfo.InvariantCulture),
            ValueKind.Uint => v.AsUint.ToString(fmt, CultureInfo.InvariantCulture),
            ValueKind.String => upper ? Convert.ToHexString(Encoding.UTF8.GetBytes(v.AsString)) : Convert.ToHexStringLower(Encoding.UTF8.GetBytes(v.AsString)),
            ValueKind.Bytes => upper ? Convert.ToHexString(v.AsBytes) : Convert.ToHexStringLower(v.AsBytes),
            _ => null,
        };
    }

    private static string? AsString(in Value v) => v.Kind switch
    {
        ValueKind.String => v.AsString,
        ValueKind.Bytes => Encoding.UTF8.GetString(v.AsBytes),
        ValueKind.Null or ValueKind.Bool or ValueKind.Int or ValueKind.Uint or ValueKind.Double or ValueKind.Type => Value.Format(v),
        ValueKind.List or ValueKind.Map => FormatComposite(v),
        ValueKind.Quantity or ValueKind.Semver or ValueKind.Url or ValueKind.IP or ValueKind.Cidr => Value.Format(v),
        _ => null,
    };

    private static string FormatComposite(in Value v)
    {
        var sb = new StringBuilder();
        if (v.Kind == ValueKind.List)
        {
            sb.Append('[');
            var items = v.AsList.Items;
            for (int i = 0; i < items.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                sb.Append(Quoted(items[i]));
            }

            return sb.Append(']').ToString();
        }

        sb.Append('{');
        bool first = true;
        foreach (var (k, val) in v.AsMap.Entries().OrderBy(e => Value.Format(e.Key), StringComparer.Ordinal))
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append(Quoted(k)).Append(": ").Append(Quoted(val));
        }

        return sb.Append('}').ToString();
    }

    private static string Quoted(in Value v) => v.Kind switch
    {
        ValueKind.String => Strings.Quote(v.AsString),
        ValueKind.List or ValueKind.Map => FormatComposite(v),
        _ => AsString(v) ?? v.TypeName(),
    };
}
