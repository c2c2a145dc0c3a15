using System.Globalization;
using System.Text;

namespace DraSdk.Cel.Internal;

/// <summary>One overload of a function: parameter types (receiver first for members), result type and implementation.</summary>
internal sealed class Overload
{
    public required string Name { get; init; }

    public required bool Member { get; init; }

    public required CelType[] Params { get; init; }

    public required Func<CelType[], CelType> Result { get; init; }

    public Fn1? F1 { get; init; }

    public Fn2? F2 { get; init; }

    public Fn3? F3 { get; init; }

    public FnN? FN { get; init; }

    /// <summary>Whether calls with constant arguments may be evaluated at compile time.</summary>
    public bool Foldable { get; init; } = true;

    /// <summary>
    /// Whether the implementation never throws: it does not charge size-dependent cost (which aborts past the limit).
    /// </summary>
    public bool Safe => !Charging.Contains(Name) &&
        !(Name == "_+_" && Params[0].Kind is TypeKind.String or TypeKind.Bytes or TypeKind.List);

    private static readonly HashSet<string> Charging =
    [
        "contains", "matches", "find", "findAll", "lowerAscii", "upperAscii", "indexOf", "lastIndexOf", "replace", "split",
        "join", "strings.quote", "format", "isSorted", "sum", "min", "max", "slice", "flatten", "lists.range", "distinct",
        "reverse", "sort", "sets.contains", "sets.equivalent", "sets.intersects", "includes",
    ];
}

/// <summary>The functions of the DRA CEL environment, per feature set.</summary>
internal sealed partial class Library
{
    private static readonly Library?[] Cache = new Library?[4];
    private readonly Dictionary<string, List<Overload>> _functions = new(StringComparer.Ordinal);

    private Library(CelFeatures features)
    {
        RegisterStandard();
        RegisterStrings();
        RegisterLists();
        RegisterKubernetes(features);
        RegisterNet();
    }

    public static Library Get(CelFeatures features)
    {
        int i = (int)(features & CelFeatures.All);
        return Volatile.Read(ref Cache[i]) ?? (Cache[i] = new Library(features));
    }

    public bool TryGet(string name, out List<Overload>? overloads) => _functions.TryGetValue(name, out overloads);

    public bool HasNamespace(string ns)
    {
        string prefix = ns + ".";
        foreach (var k in _functions.Keys)
        {
            if (k.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // ------------------------------------------------------------ registration helpers

    private void Add(Overload o)
    {
        if (!_functions.TryGetValue(o.Name, out var list))
        {
            _functions[o.Name] = list = [];
        }

        list.Add(o);
    }

    private static Func<CelType[], CelType> R(CelType t) => _ => t;

    private void G1(string name, CelType p, CelType result, Fn1 f, bool foldable = true) =>
        Add(new Overload { Name = name, Member = false, Params = [p], Result = R(result), F1 = f, Foldable = foldable });

    private void G1(string name, CelType p, Func<CelType[], CelType> result, Fn1 f) =>
        Add(new Overload { Name = name, Member = false, Params = [p], Result = result, F1 = f });

    private void G2(string name, CelType p, CelType q, CelType result, Fn2 f) =>
        Add(new Overload { Name = name, Member = false, Params = [p, q], Result = R(result), F2 = f });

    private void G2(string name, CelType p, CelType q, Func<CelType[], CelType> result, Fn2 f) =>
        Add(new Overload { Name = name, Member = false, Params = [p, q], Result = result, F2 = f });

    private void M0(string name, CelType recv, CelType result, Fn1 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv], Result = R(result), F1 = f });

    private void M0(string name, CelType recv, Func<CelType[], CelType> result, Fn1 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv], Result = result, F1 = f });

    private void M1(string name, CelType recv, CelType p, CelType result, Fn2 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv, p], Result = R(result), F2 = f });

    private void M1(string name, CelType recv, CelType p, Func<CelType[], CelType> result, Fn2 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv, p], Result = result, F2 = f });

    private void M2(string name, CelType recv, CelType p, CelType q, CelType result, Fn3 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv, p, q], Result = R(result), F3 = f });

    private void M2(string name, CelType recv, CelType p, CelType q, Func<CelType[], CelType> result, Fn3 f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv, p, q], Result = result, F3 = f });

    private void M3(string name, CelType recv, CelType p, CelType q, CelType r, CelType result, FnN f) =>
        Add(new Overload { Name = name, Member = true, Params = [recv, p, q, r], Result = R(result), FN = f });

    /// <summary>Both the global <c>f(x)</c> and the member <c>x.f()</c> forms.</summary>
    private void Both1(string name, CelType p, CelType result, Fn1 f)
    {
        G1(name, p, result, f);
        M0(name, p, result, f);
    }

    private static readonly CelType Dyn = CelType.Dyn;
    private static readonly CelType Int = CelType.Int;
    private static readonly CelType Uint = CelType.Uint;
    private static readonly CelType Dbl = CelType.Double;
    private static readonly CelType Str = CelType.String;
    private static readonly CelType Bool = CelType.Bool;
    private static readonly CelType Bytes = CelType.Bytes;
    private static readonly CelType ListDyn = CelType.ListDyn;
    private static readonly CelType MapDyn = CelType.MapDyn;
    private static readonly CelType Qty = CelType.Quantity;
    private static readonly CelType Ver = CelType.Semver;
    private static readonly CelType OptDyn = CelType.OptionalOf(CelType.Dyn);

    private static Value Overflow() => Value.Error("return error for overflow");

    // ------------------------------------------------------------ standard definitions

    private void RegisterStandard()
    {
        // Arithmetic.
        G2("_+_", Int, Int, Int, static (ref EvalState s, Value a, Value b) =>
            long.MaxValue - Math.Max(b.AsInt, 0) < a.AsInt || long.MinValue - Math.Min(b.AsInt, 0) > a.AsInt ? Overflow() : Value.Int(a.AsInt + b.AsInt));
        G2("_+_", Uint, Uint, Uint, static (ref EvalState s, Value a, Value b) =>
            ulong.MaxValue - b.AsUint < a.AsUint ? Overflow() : Value.Uint(a.AsUint + b.AsUint));
        G2("_+_", Dbl, Dbl, Dbl, static (ref EvalState s, Value a, Value b) => Value.Double(a.AsDouble + b.AsDouble));
        G2("_+_", Str, Str, Str, static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge((a.AsString.Length + b.AsString.Length) / 10);
            return Value.String(a.AsString + b.AsString);
        });
        G2("_+_", Bytes, Bytes, Bytes, static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge((a.AsBytes.Length + b.AsBytes.Length) / 10);
            return Value.Bytes([.. a.AsBytes, .. b.AsBytes]);
        });
        G2("_+_", ListDyn, ListDyn, t => CelType.Join(t[0], t[1]), static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge((a.AsList.Count + b.AsList.Count) / 10);
            return b.AsList.Count == 0 ? a : a.AsList.Count == 0 ? b : Value.List([.. a.AsList.Items, .. b.AsList.Items]);
        });
        G2("_-_", Int, Int, Int, static (ref EvalState s, Value a, Value b) =>
            (b.AsInt > 0 && a.AsInt < long.MinValue + b.AsInt) || (b.AsInt < 0 && a.AsInt > long.MaxValue + b.AsInt) ? Overflow() : Value.Int(a.AsInt - b.AsInt));
        G2("_-_", Uint, Uint, Uint, static (ref EvalState s, Value a, Value b) =>
            b.AsUint > a.AsUint ? Overflow() : Value.Uint(a.AsUint - b.AsUint));
        G2("_-_", Dbl, Dbl, Dbl, static (ref EvalState s, Value a, Value b) => Value.Double(a.AsDouble - b.AsDouble));
        G2("_*_", Int, Int, Int, static (ref EvalState s, Value a, Value b) =>
        {
            long r;
            try
            {
                r = checked(a.AsInt * b.AsInt);
            }
            catch (OverflowException)
            {
                return Overflow();
            }

            return Value.Int(r);
        });
        G2("_*_", Uint, Uint, Uint, static (ref EvalState s, Value a, Value b) =>
        {
            ulong r;
            try
            {
                r = checked(a.AsUint * b.AsUint);
            }
            catch (OverflowException)
            {
                return Overflow();
            }

            return Value.Uint(r);
        });
        G2("_*_", Dbl, Dbl, Dbl, static (ref EvalState s, Value a, Value b) => Value.Double(a.AsDouble * b.AsDouble));
        G2("_/_", Int, Int, Int, static (ref EvalState s, Value a, Value b) =>
            b.AsInt == 0 ? Value.Error("division by zero") : a.AsInt == long.MinValue && b.AsInt == -1 ? Overflow() : Value.Int(a.AsInt / b.AsInt));
        G2("_/_", Uint, Uint, Uint, static (ref EvalState s, Value a, Value b) =>
            b.AsUint == 0 ? Value.Error("division by zero") : Value.Uint(a.AsUint / b.AsUint));
        G2("_/_", Dbl, Dbl, Dbl, static (ref EvalState s, Value a, Value b) => Value.Double(a.AsDouble / b.AsDouble));
        G2("_%_", Int, Int, Int, static (ref EvalState s, Value a, Value b) =>
            b.AsInt == 0 ? Value.Error("modulus by zero") : b.AsInt == -1 ? Value.Int(0) : Value.Int(a.AsInt % b.AsInt));
        G2("_%_", Uint, Uint, Uint, static (ref EvalState s, Value a, Value b) =>
            b.AsUint == 0 ? Value.Error("modulus by zero") : Value.Uint(a.AsUint % b.AsUint));
        G1("-_", Int, Int, static (ref EvalState s, Value a) => a.AsInt == long.MinValue ? Overflow() : Value.Int(-a.AsInt));
        G1("-_", Dbl, Dbl, static (ref EvalState s, Value a) => Value.Double(-a.AsDouble));

        // Ordering, including across numeric types.
        (string Op, Func<int, bool> Test)[] ops =
        [
            ("_<_", c => c < 0), ("_<=_", c => c <= 0), ("_>_", c => c > 0), ("_>=_", c => c >= 0),
        ];
        CelType[][] pairs =
        [
            [Int, Int], [Uint, Uint], [Dbl, Dbl], [Str, Str], [Bytes, Bytes], [Bool, Bool],
            [Int, Uint], [Uint, Int], [Int, Dbl], [Dbl, Int], [Uint, Dbl], [Dbl, Uint],
        ];
        foreach (var (op, test) in ops)
        {
            string name = op;
            foreach (var pair in pairs)
            {
                G2(op, pair[0], pair[1], Bool, (ref EvalState s, Value a, Value b) =>
                {
                    int? c = Runtime.Compare(a, b);
                    return c is null ? (a.Kind == ValueKind.Double || b.Kind == ValueKind.Double ? Value.False : Value.NoSuchOverload(name)) : Value.Bool(test(c.Value));
                });
            }
        }

        // Size.
        Both1("size", Str, Int, static (ref EvalState s, Value a) => Value.Int(Strings.Length(a.AsString)));
        Both1("size", Bytes, Int, static (ref EvalState s, Value a) => Value.Int(a.AsBytes.Length));
        Both1("size", ListDyn, Int, static (ref EvalState s, Value a) => Value.Int(a.AsList.Count));
        Both1("size", MapDyn, Int, static (ref EvalState s, Value a) => Value.Int(a.AsMap.Count));

        // String predicates and regex.
        M1("contains", Str, Str, Bool, static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge(a.AsString.Length / 10);
            return Value.Bool(a.AsString.Contains(b.AsString, StringComparison.Ordinal));
        });
        M1("startsWith", Str, Str, Bool, static (ref EvalState s, Value a, Value b) =>
            Value.Bool(a.AsString.StartsWith(b.AsString, StringComparison.Ordinal)));
        M1("endsWith", Str, Str, Bool, static (ref EvalState s, Value a, Value b) =>
            Value.Bool(a.AsString.EndsWith(b.AsString, StringComparison.Ordinal)));
        Fn2 matches = static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge(1 + ((a.AsString.Length * (long)b.AsString.Length) / 40));
            if (!Regexes.TryGet(b.AsString, out var re, out string? err))
            {
                return Value.Error(err!);
            }

            return Value.Bool(re!.IsMatch(a.AsString));
        };
        M1("matches", Str, Str, Bool, matches);
        G2("matches", Str, Str, Bool, matches);

        // Conversions.
        G1("int", Int, Int, static (ref EvalState s, Value a) => a);
        G1("int", Uint, Int, static (ref EvalState s, Value a) => a.AsUint > long.MaxValue ? Value.Error("integer overflow") : Value.Int((long)a.AsUint));
        G1("int", Dbl, Int, static (ref EvalState s, Value a) =>
        {
            double d = Math.Truncate(a.AsDouble);
            return double.IsNaN(d) || d <= -9.2233720368547758E18 || d >= 9.2233720368547758E18 ? Value.Error("integer overflow") : Value.Int((long)d);
        });
        G1("int", Str, Int, static (ref EvalState s, Value a) =>
            long.TryParse(a.AsString, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
                ? Value.Int(v) : Value.Error($"cannot convert string '{a.AsString}' to int"));
        G1("uint", Uint, Uint, static (ref EvalState s, Value a) => a);
        G1("uint", Int, Uint, static (ref EvalState s, Value a) => a.AsInt < 0 ? Value.Error("unsigned integer overflow") : Value.Uint((ulong)a.AsInt));
        G1("uint", Dbl, Uint, static (ref EvalState s, Value a) =>
        {
            double d = Math.Truncate(a.AsDouble);
            return double.IsNaN(d) || d < 0 || d >= 1.8446744073709552E19 ? Value.Error("unsigned integer overflow") : Value.Uint((ulong)d);
        });
        G1("uint", Str, Uint, static (ref EvalState s, Value a) =>
            ulong.TryParse(a.AsString, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)
                ? Value.Uint(v) : Value.Error($"cannot convert string '{a.AsString}' to uint"));
        G1("double", Dbl, Dbl, static (ref EvalState s, Value a) => a);
        G1("double", Int, Dbl, static (ref EvalState s, Value a) => Value.Double(a.AsInt));
        G1("double", Uint, Dbl, static (ref EvalState s, Value a) => Value.Double(a.AsUint));
        G1("double", Str, Dbl, static (ref EvalState s, Value a) =>
            double.TryParse(a.AsString, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                ? Value.Double(v) : Value.Error($"cannot convert string '{a.AsString}' to double"));
        G1("string", Str, Str, static (ref EvalState s, Value a) => a);
        G1("string", Int, Str, static (ref EvalState s, Value a) => Value.String(a.AsInt.ToString(CultureInfo.InvariantCulture)));
        G1("string", Uint, Str, static (ref EvalState s, Value a) => Value.String(a.AsUint.ToString(CultureInfo.InvariantCulture)));
        G1("string", Dbl, Str, static (ref EvalState s, Value a) => Value.String(Value.FormatDouble(a.AsDouble)));
        G1("string", Bool, Str, static (ref EvalState s, Value a) => Value.String(a.AsBool ? "true" : "false"));
        G1("string", Bytes, Str, static (ref EvalState s, Value a) =>
        {
            try
            {
                return Value.String(new UTF8Encoding(false, true).GetString(a.AsBytes));
            }
            catch (DecoderFallbackException)
            {
                return Value.Error("invalid UTF-8 in bytes, cannot convert to string");
            }
        });
        G1("bytes", Bytes, Bytes, static (ref EvalState s, Value a) => a);
        G1("bytes", Str, Bytes, static (ref EvalState s, Value a) => Value.Bytes(Encoding.UTF8.GetBytes(a.AsString)));
        G1("bool", Bool, Bool, static (ref EvalState s, Value a) => a);
        G1("bool", Str, Bool, static (ref EvalState s, Value a) => a.AsString switch
        {
            "true" or "TRUE" or "True" or "t" or "1" => Value.True,
            "false" or "FALSE" or "False" or "f" or "0" => Value.False,
            _ => Value.Error($"type conversion error from 'string' to 'bool'"),
        });
        G1("dyn", Dyn, Dyn, static (ref EvalState s, Value a) => a);
        G1("type", Dyn, CelType.TypeType, static (ref EvalState s, Value a) => Value.Type(a.RuntimeType()));
    }
}
