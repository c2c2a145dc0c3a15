namespace DraSdk.Cel.Internal;

/// <summary>CEL's equality, ordering and error helpers.</summary>
internal static class Runtime
{
    public const string MissingKeyHint =
        " (use has() or optional access with .? and orValue() for attributes or capacities that a device may not have)";

    public static Value NoSuchKey(string key) => Value.Error($"no such key: {key}");

    public static Value NoSuchKeyWithHint(string key) => Value.Error($"no such key: {key}{MissingKeyHint}");

    /// <summary>Heterogeneous equality: numbers compare across int, uint and double; other kinds must match.</summary>
    public static bool Equal(in Value a, in Value b)
    {
        if (a.Kind == b.Kind)
        {
            switch (a.Kind)
            {
                case ValueKind.Null: return true;
                case ValueKind.Bool:
                case ValueKind.Int:
                case ValueKind.Uint: return a.Bits == b.Bits;
                case ValueKind.Double: return a.AsDouble == b.AsDouble;
                case ValueKind.String: return string.Equals(a.AsString, b.AsString, StringComparison.Ordinal);
                case ValueKind.Bytes: return a.AsBytes.AsSpan().SequenceEqual(b.AsBytes);
                case ValueKind.List:
                    {
                        var x = a.AsList.Items;
                        var y = b.AsList.Items;
                        if (x.Length != y.Length)
                        {
                            return false;
                        }

                        for (int i = 0; i < x.Length; i++)
                        {
                            if (!Equal(x[i], y[i]))
                            {
                                return false;
                            }
                        }

                        return true;
                    }

                case ValueKind.Map:
                    {
                        var x = a.AsMap;
                        var y = b.AsMap;
                        if (x.Count != y.Count)
                        {
                            return false;
                        }

                        foreach (var (k, v) in x.Entries())
                        {
                            if (!y.TryGet(k, out var w) || !Equal(v, w))
                            {
                                return false;
                            }
                        }

                        return true;
                    }

                case ValueKind.Quantity: return a.AsQuantity.Value == b.AsQuantity.Value;
                case ValueKind.Semver: return a.AsSemver.CompareTo(b.AsSemver) == 0;
                case ValueKind.Type: return a.AsType.RuntimeName == b.AsType.RuntimeName;
                case ValueKind.Optional:
                    {
                        var x = a.AsOptional;
                        var y = b.AsOptional;
                        return x.HasValue == y.HasValue && (!x.HasValue || Equal(x.Value, y.Value));
                    }

                case ValueKind.Device: return ReferenceEquals(a.Ref, b.Ref);
                case ValueKind.Url:
                case ValueKind.IP:
                case ValueKind.Cidr: return string.Equals(a.Ref!.ToString(), b.Ref!.ToString(), StringComparison.Ordinal);
                default: return false;
            }
        }

        int? c = CompareNumbers(a, b);
        return c == 0;
    }

    /// <summary>Compares two numbers of any numeric kind; null when either is not a number or NaN is involved.</summary>
    public static int? CompareNumbers(in Value a, in Value b)
    {
        switch (a.Kind)
        {
            case ValueKind.Int:
                switch (b.Kind)
                {
                    case ValueKind.Int: return a.AsInt.CompareTo(b.AsInt);
                    case ValueKind.Uint: return a.AsInt < 0 ? -1 : ((ulong)a.AsInt).CompareTo(b.AsUint);
                    case ValueKind.Double: return CompareIntDouble(a.AsInt, b.AsDouble);
                }

                break;
            case ValueKind.Uint:
                switch (b.Kind)
                {
                    case ValueKind.Int: return b.AsInt < 0 ? 1 : a.AsUint.CompareTo((ulong)b.AsInt);
                    case ValueKind.Uint: return a.AsUint.CompareTo(b.AsUint);
                    case ValueKind.Double: return CompareUintDouble(a.AsUint, b.AsDouble);
                }

                break;
            case ValueKind.Double:
                switch (b.Kind)
                {
                    case ValueKind.Int: return -CompareIntDouble(b.AsInt, a.AsDouble);
                    case ValueKind.Uint: return -CompareUintDouble(b.AsUint, a.AsDouble);
                    case ValueKind.Double:
                        double x = a.AsDouble, y = b.AsDouble;
                        return double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
                }

                break;
        }

        return null;
    }

    private static int? CompareIntDouble(long i, double d)
    {
        if (double.IsNaN(d))
        {
            return null;
        }

        if (d >= 9.2233720368547758E18)
        {
            return -1;
        }

        if (d < -9.2233720368547758E18)
        {
            return 1;
        }

        double t = Math.Truncate(d);
        int c = i.CompareTo((long)t);
        if (c != 0)
        {
            return c;
        }

        double frac = d - t;
        return frac > 0 ? -1 : frac < 0 ? 1 : 0;
    }

    private static int? CompareUintDouble(ulong u, double d)
    {
        if (double.IsNaN(d))
        {
            return null;
        }

        if (d < 0)
        {
            return 1;
        }

        if (d >= 1.8446744073709552E19)
        {
            return -1;
        }

        double t = Math.Truncate(d);
        int c = u.CompareTo((ulong)t);
        if (c != 0)
        {
            return c;
        }

        return d - t > 0 ? -1 : 0;
    }

    /// <summary>Ordering for <c>&lt;</c> and friends, sort() and min()/max(); null when the kinds cannot be ordered.</summary>
    public static int? Compare(in Value a, in Value b)
    {
        if (a.Kind == b.Kind)
        {
            switch (a.Kind)
            {
                case ValueKind.Bool: return a.AsBool.CompareTo(b.AsBool);
                case ValueKind.String: return Math.Sign(string.CompareOrdinal(a.AsString, b.AsString));
                case ValueKind.Bytes: return Math.Sign(a.AsBytes.AsSpan().SequenceCompareTo(b.AsBytes));
                case ValueKind.Quantity: return a.AsQuantity.Value.CompareTo(b.AsQuantity.Value);
                case ValueKind.Semver: return Math.Sign(a.AsSemver.CompareTo(b.AsSemver));
            }
        }

        return CompareNumbers(a, b);
    }

    /// <summary>The value's "zero" per optional.ofNonZeroValue.</summary>
    public static bool IsZero(in Value v) => v.Kind switch
    {
        ValueKind.Null => true,
        ValueKind.Bool or ValueKind.Int or ValueKind.Uint => v.Bits == 0,
        ValueKind.Double => v.AsDouble == 0,
        ValueKind.String => v.AsString.Length == 0,
        ValueKind.Bytes => v.AsBytes.Length == 0,
        ValueKind.List => v.AsList.Count == 0,
        ValueKind.Map => v.AsMap.Count == 0,
        _ => false,
    };
}
