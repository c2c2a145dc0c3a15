namespace DraSdk.Cel.Internal;

internal static class Lists
{
    public static Value SortByKeys(ref EvalState s, Value[] items, Value[] keys)
    {
        s.Charge(items.Length * (long)Math.Max(1, (int)Math.Log2(Math.Max(2, items.Length))) / 10);
        var order = Enumerable.Range(0, items.Length).ToArray();
        string? error = null;
        try
        {
            Array.Sort(order, (x, y) =>
            {
                int? c = keys[x].Kind == keys[y].Kind || IsNumber(keys[x]) && IsNumber(keys[y]) ? Runtime.Compare(keys[x], keys[y]) : null;
                if (c is null)
                {
                    error ??= $"no such overload: sort on {keys[x].TypeName()} and {keys[y].TypeName()}";
                    return 0;
                }

                return c.Value != 0 ? c.Value : x.CompareTo(y);
            });
        }
        catch (InvalidOperationException)
        {
            error ??= "no such overload: sort";
        }

        if (error is not null)
        {
            return Value.Error(error);
        }

        var result = new Value[items.Length];
        for (int i = 0; i < order.Length; i++)
        {
            result[i] = items[order[i]];
        }

        return Value.List(result);
    }

    public static bool IsNumber(in Value v) => v.Kind is ValueKind.Int or ValueKind.Uint or ValueKind.Double;
}

internal sealed partial class Library
{
    private static CelType ElemOf(CelType t) => t.Kind == TypeKind.List ? t.Elem! : CelType.Dyn;

    private void RegisterLists()
    {
        // Kubernetes list library.
        M0("isSorted", ListDyn, Bool, static (ref EvalState s, Value a) =>
        {
            var items = a.AsList.Items;
            s.Charge(items.Length / 10);
            for (int i = 1; i < items.Length; i++)
            {
                int? c = Runtime.Compare(items[i - 1], items[i]);
                if (c is null)
                {
                    return Value.NoSuchOverload("isSorted");
                }

                if (c > 0)
                {
                    return Value.False;
                }
            }

            return Value.True;
        });
        M0("sum", ListDyn, t => ElemOf(t[0]).IsDyn ? CelType.Dyn : ElemOf(t[0]), static (ref EvalState s, Value a) =>
        {
            var items = a.AsList.Items;
            s.Charge(items.Length / 10);
            if (items.Length == 0)
            {
                return Value.Int(0);
            }

            Value acc = items[0];
            for (int i = 1; i < items.Length; i++)
            {
                acc = Add(acc, items[i]);
                if (acc.IsError)
                {
                    return acc;
                }
            }

            return acc.Kind is ValueKind.Int or ValueKind.Uint or ValueKind.Double ? acc : Value.NoSuchOverload("sum");
        });
        Fn1 min = static (ref EvalState s, Value a) => Extreme(ref s, a, -1, "min");
        Fn1 max = static (ref EvalState s, Value a) => Extreme(ref s, a, 1, "max");
        M0("min", ListDyn, t => ElemOf(t[0]), min);
        M0("max", ListDyn, t => ElemOf(t[0]), max);
        M1("indexOf", ListDyn, Dyn, Int, static (ref EvalState s, Value a, Value b) =>
        {
            var items = a.AsList.Items;
            s.Charge(items.Length / 10);
            for (int i = 0; i < items.Length; i++)
            {
                if (Runtime.Equal(items[i], b))
                {
                    return Value.Int(i);
                }
            }

            return Value.Int(-1);
        });
        M1("lastIndexOf", ListDyn, Dyn, Int, static (ref EvalState s, Value a, Value b) =>
        {
            var items = a.AsList.Items;
            s.Charge(items.Length / 10);
            for (int i = items.Length - 1; i >= 0; i--)
            {
                if (Runtime.Equal(items[i], b))
                {
                    return Value.Int(i);
                }
            }

            return Value.Int(-1);
        });

        // cel-go lists extension.
        M2("slice", ListDyn, Int, Int, t => t[0], static (ref EvalState s, Value a, Value b, Value c) =>
        {
            var items = a.AsList.Items;
            long start = b.AsInt, end = c.AsInt;
            if (start < 0 || end < 0)
            {
                return Value.Error($"cannot slice({start}, {end}), negative indexes not supported");
            }

            if (start > end)
            {
                return Value.Error($"cannot slice({start}, {end}), start index must be less than or equal to end index");
            }

            if (end > items.Length)
            {
                return Value.Error($"cannot slice({start}, {end}), list is length {items.Length}");
            }

            s.Charge((end - start) / 10);
            return Value.List(items[(int)start..(int)end]);
        });
        M0("flatten", ListDyn, ListDyn, static (ref EvalState s, Value a) => Flatten(ref s, a, 1));
        M1("flatten", ListDyn, Int, ListDyn, static (ref EvalState s, Value a, Value b) =>
            b.AsInt < 0 ? Value.Error("level must be non-negative") : Flatten(ref s, a, b.AsInt));
        G1("lists.range", Int, CelType.ListOf(Int), static (ref EvalState s, Value a) =>
        {
            long n = a.AsInt;
            if (n < 0)
            {
                n = 0;
            }

            s.Charge(1 + (n / 10));
            if (n > 10_000_000)
            {
                return Value.Error("lists.range: too many elements");
            }

            var items = new Value[n];
            for (int i = 0; i < n; i++)
            {
                items[i] = Value.Int(i);
            }

            return Value.List(items);
        });
        M0("distinct", ListDyn, t => t[0], static (ref EvalState s, Value a) =>
        {
            var items = a.AsList.Items;
            s.Charge((long)items.Length * items.Length / 10);
            var result = new List<Value>();
            foreach (var v in items)
            {
                bool seen = false;
                foreach (var r in result)
                {
                    if (Runtime.Equal(r, v))
                    {
                        seen = true;
                        break;
                    }
                }

                if (!seen)
                {
                    result.Add(v);
                }
            }

            return Value.List([.. result]);
        });
        M0("reverse", ListDyn, t => t[0], static (ref EvalState s, Value a) =>
        {
            var items = (Value[])a.AsList.Items.Clone();
            Array.Reverse(items);
            s.Charge(items.Length / 10);
            return Value.List(items);
        });
        M0("sort", ListDyn, t => t[0], static (ref EvalState s, Value a) =>
        {
            var items = a.AsList.Items;
            return Lists.SortByKeys(ref s, items, items);
        });
        M0("first", ListDyn, t => CelType.OptionalOf(ElemOf(t[0])), static (ref EvalState s, Value a) =>
            Value.Optional(a.AsList.Count == 0 ? OptionalValue.None : OptionalValue.Of(a.AsList.Items[0])));
        M0("last", ListDyn, t => CelType.OptionalOf(ElemOf(t[0])), static (ref EvalState s, Value a) =>
            Value.Optional(a.AsList.Count == 0 ? OptionalValue.None : OptionalValue.Of(a.AsList.Items[^1])));

        // cel-go sets extension.
        G2("sets.contains", ListDyn, ListDyn, Bool, static (ref EvalState s, Value a, Value b) => Value.Bool(Contains(ref s, a, b)));
        G2("sets.equivalent", ListDyn, ListDyn, Bool, static (ref EvalState s, Value a, Value b) =>
            Value.Bool(Contains(ref s, a, b) && Contains(ref s, b, a)));
        G2("sets.intersects", ListDyn, ListDyn, Bool, static (ref EvalState s, Value a, Value b) =>
        {
            s.Charge((long)a.AsList.Count * b.AsList.Count / 10);
            foreach (var x in a.AsList.Items)
            {
                foreach (var y in b.AsList.Items)
                {
                    if (Runtime.Equal(x, y))
                    {
                        return Value.True;
                    }
                }
            }

            return Value.False;
        });
    }

    private static bool Contains(ref EvalState s, Value a, Value b)
    {
        s.Charge((long)a.AsList.Count * b.AsList.Count / 10);
        foreach (var y in b.AsList.Items)
        {
            bool found = false;
            foreach (var x in a.AsList.Items)
            {
                if (Runtime.Equal(x, y))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private static Value Add(Value a, Value b)
    {
        if (a.Kind != b.Kind)
        {
            return Value.NoSuchOverload("sum");
        }

        return a.Kind switch
        {
            ValueKind.Int => long.MaxValue - Math.Max(b.AsInt, 0) < a.AsInt || long.MinValue - Math.Min(b.AsInt, 0) > a.AsInt ? Overflow() : Value.Int(a.AsInt + b.AsInt),
            ValueKind.Uint => ulong.MaxValue - b.AsUint < a.AsUint ? Overflow() : Value.Uint(a.AsUint + b.AsUint),
            ValueKind.Double => Value.Double(a.AsDouble + b.AsDouble),
            _ => Value.NoSuchOverload("sum"),
        };
    }

    private static Value Extreme(ref EvalState s, Value a, int sign, string name)
    {
        var items = a.AsList.Items;
        s.Charge(items.Length / 10);
        if (items.Length == 0)
        {
            return Value.Error($"{name} called on empty list");
        }

        Value best = items[0];
        for (int i = 1; i < items.Length; i++)
        {
            int? c = Runtime.Compare(items[i], best);
            if (c is null)
            {
                return Value.NoSuchOverload(name);
            }

            if (c * sign > 0)
            {
                best = items[i];
            }
        }

        return best;
    }

    private static Value Flatten(ref EvalState s, Value a, long depth)
    {
        var result = new List<Value>();
        if (!FlattenInto(ref s, a.AsList.Items, depth, result))
        {
            return Value.Error("flatten: too many elements");
        }

        return Value.List([.. result]);
    }

    private static bool FlattenInto(ref EvalState s, Value[] items, long depth, List<Value> result)
    {
        foreach (var v in items)
        {
            s.Charge(1);
            if (v.Kind == ValueKind.List && depth > 0)
            {
                if (!FlattenInto(ref s, v.AsList.Items, depth - 1, result))
                {
                    return false;
                }
            }
            else
            {
                result.Add(v);
            }
        }

        return true;
    }
}
