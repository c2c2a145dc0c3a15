namespace DraSdk.Cel.Internal;

internal sealed partial class Library
{
    /// <summary>A list receiver of <c>includes()</c> may have at most this many values.</summary>
    public const int IncludesMaxValues = 48;

    private void RegisterKubernetes(CelFeatures features)
    {
        RegisterQuantity();
        RegisterSemver();
        RegisterRegex();
        RegisterOptional();
        if (features.HasFlag(CelFeatures.ListTypeAttributes))
        {
            M1("includes", Dyn, Dyn, Bool, static (ref EvalState s, Value a, Value b) =>
            {
                if (a.Kind == ValueKind.List)
                {
                    var items = a.AsList.Items;
                    if (items.Length > IncludesMaxValues)
                    {
                        return Value.Error($"includes() supports lists of at most {IncludesMaxValues} values, got {items.Length}");
                    }

                    s.Charge(items.Length);
                    foreach (var item in items)
                    {
                        if (Runtime.Equal(item, b))
                        {
                            return Value.True;
                        }
                    }

                    return Value.False;
                }

                return Value.Bool(Runtime.Equal(a, b));
            });
        }
    }

    private void RegisterQuantity()
    {
        G1("isQuantity", Str, Bool, static (ref EvalState s, Value a) => Value.Bool(QuantityValue.TryParse(a.AsString, out _, out _)));
        G1("quantity", Str, Qty, static (ref EvalState s, Value a) =>
            QuantityValue.TryParse(a.AsString, out var q, out string? err) ? Value.Quantity(q!) : Value.Error(err!));
        M0("isInteger", Qty, Bool, static (ref EvalState s, Value a) => Value.Bool(IsInt64(a.AsQuantity.Value)));
        M0("asInteger", Qty, Int, static (ref EvalState s, Value a) =>
            IsInt64(a.AsQuantity.Value) ? Value.Int((long)a.AsQuantity.Value) : Value.Error("cannot convert value to integer"));
        M0("asApproximateFloat", Qty, Dbl, static (ref EvalState s, Value a) => Value.Double((double)a.AsQuantity.Value));
        M0("sign", Qty, Int, static (ref EvalState s, Value a) => Value.Int(Math.Sign(a.AsQuantity.Value)));
        M1("isGreaterThan", Qty, Qty, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(a.AsQuantity.Value > b.AsQuantity.Value));
        M1("isLessThan", Qty, Qty, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(a.AsQuantity.Value < b.AsQuantity.Value));
        M1("compareTo", Qty, Qty, Int, static (ref EvalState s, Value a, Value b) => Value.Int(a.AsQuantity.Value.CompareTo(b.AsQuantity.Value)));
        M1("add", Qty, Qty, Qty, static (ref EvalState s, Value a, Value b) => QuantityOp(a.AsQuantity.Value, b.AsQuantity.Value, 1));
        M1("add", Qty, Int, Qty, static (ref EvalState s, Value a, Value b) => QuantityOp(a.AsQuantity.Value, b.AsInt, 1));
        M1("sub", Qty, Qty, Qty, static (ref EvalState s, Value a, Value b) => QuantityOp(a.AsQuantity.Value, b.AsQuantity.Value, -1));
        M1("sub", Qty, Int, Qty, static (ref EvalState s, Value a, Value b) => QuantityOp(a.AsQuantity.Value, b.AsInt, -1));
    }

    private static bool IsInt64(decimal d) => d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue;

    private static Value QuantityOp(decimal a, decimal b, int sign)
    {
        try
        {
            return Value.Quantity(QuantityValue.FromDecimal(sign > 0 ? a + b : a - b));
        }
        catch (OverflowException)
        {
            return Overflow();
        }
    }

    private void RegisterSemver()
    {
        G1("isSemver", Str, Bool, static (ref EvalState s, Value a) => Value.Bool(SemverValue.TryParse(a.AsString, out _, out _)));
        G2("isSemver", Str, Bool, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(b.AsBool
            ? SemverValue.TryParseNormalized(a.AsString, out _, out _)
            : SemverValue.TryParse(a.AsString, out _, out _)));
        G1("semver", Str, Ver, static (ref EvalState s, Value a) =>
            SemverValue.TryParse(a.AsString, out var v, out string? err) ? Value.Semver(v!) : Value.Error($"invalid semver: {err}"));
        G2("semver", Str, Bool, Ver, static (ref EvalState s, Value a, Value b) =>
            (b.AsBool ? SemverValue.TryParseNormalized(a.AsString, out var v, out string? err) : SemverValue.TryParse(a.AsString, out v, out err))
                ? Value.Semver(v!) : Value.Error($"invalid semver: {err}"));
        M0("major", Ver, Int, static (ref EvalState s, Value a) => Value.Int((long)a.AsSemver.Major));
        M0("minor", Ver, Int, static (ref EvalState s, Value a) => Value.Int((long)a.AsSemver.Minor));
        M0("patch", Ver, Int, static (ref EvalState s, Value a) => Value.Int((long)a.AsSemver.Patch));
        M1("isGreaterThan", Ver, Ver, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(a.AsSemver.CompareTo(b.AsSemver) > 0));
        M1("isLessThan", Ver, Ver, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(a.AsSemver.CompareTo(b.AsSemver) < 0));
        M1("compareTo", Ver, Ver, Int, static (ref EvalState s, Value a, Value b) => Value.Int(Math.Sign(a.AsSemver.CompareTo(b.AsSemver))));
    }

    private void RegisterRegex()
    {
        M1("find", Str, Str, Str, static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge(1 + ((a.AsString.Length * (long)b.AsString.Length) / 40));
            if (!Regexes.TryGet(b.AsString, out var re, out string? err))
            {
                return Value.Error(err!);
            }

            var m = re!.Match(a.AsString);
            return Value.String(m.Success ? m.Value : "");
        });
        Fn3 findAll = static (ref EvalState s, Value a, Value b, Value c) =>
        {
            s.Charge(1 + ((a.AsString.Length * (long)b.AsString.Length) / 40));
            if (!Regexes.TryGet(b.AsString, out var re, out string? err))
            {
                return Value.Error(err!);
            }

            long limit = c.AsInt;
            var result = new List<Value>();
            if (limit != 0)
            {
                for (var m = re!.Match(a.AsString); m.Success && (limit < 0 || result.Count < limit); m = m.NextMatch())
                {
                    result.Add(Value.String(m.Value));
                }
            }

            return Value.List([.. result]);
        };
        M1("findAll", Str, Str, CelType.ListOf(Str), (ref EvalState s, Value a, Value b) => findAll(ref s, a, b, Value.Int(-1)));
        M2("findAll", Str, Str, Int, CelType.ListOf(Str), findAll);
    }

    private void RegisterOptional()
    {
        G1("optional.of", Dyn, t => CelType.OptionalOf(t[0]), static (ref EvalState s, Value a) => Value.Optional(OptionalValue.Of(a)));
        G1("optional.ofNonZeroValue", Dyn, t => CelType.OptionalOf(t[0]), static (ref EvalState s, Value a) =>
            Value.Optional(Runtime.IsZero(a) ? OptionalValue.None : OptionalValue.Of(a)));
        Add(new Overload
        {
            Name = "optional.none",
            Member = false,
            Params = [],
            Result = _ => OptDyn,
        });
        M0("hasValue", OptDyn, Bool, static (ref EvalState s, Value a) => Value.Bool(a.AsOptional.HasValue));
        M0("value", OptDyn, t => t[0].Elem ?? CelType.Dyn, static (ref EvalState s, Value a) =>
            a.AsOptional.HasValue ? a.AsOptional.Value : Value.Error("optional.none() dereference"));
        M1("orValue", OptDyn, Dyn, t => CelType.Join(t[0].Elem ?? CelType.Dyn, t[1]), static (ref EvalState s, Value a, Value b) =>
            a.AsOptional.HasValue ? a.AsOptional.Value : b);
        M1("or", OptDyn, OptDyn, t => CelType.Join(t[0], t[1]), static (ref EvalState s, Value a, Value b) =>
            a.AsOptional.HasValue ? a : b);
    }
}
