namespace DraSdk.Cel.Internal;

internal delegate Value Fn1(ref EvalState s, Value a);

internal delegate Value Fn2(ref EvalState s, Value a, Value b);

internal delegate Value Fn3(ref EvalState s, Value a, Value b, Value c);

internal delegate Value FnN(ref EvalState s, Value[] args);

/// <summary>A compiled expression node.</summary>
internal abstract class Node
{
    public abstract Value Eval(ref EvalState s);
}

/// <summary>Nodes that never throw (no loops, no size-dependent cost checks): a program of only these skips the exception guard.</summary>
internal interface ISafeNode;

internal sealed class ConstNode(Value value) : Node, ISafeNode
{
    public Value Value { get; } = value;

    public override Value Eval(ref EvalState s) => Value;
}

internal sealed class LocalNode(int slot) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost++;
        return s.Locals[slot];
    }
}

internal sealed class DeviceNode : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost++;
        return Value.Device(s.Device);
    }
}

internal sealed class DriverNode : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost += 2;
        return Value.String(s.Device.Driver);
    }
}

/// <summary><c>device.driver == "literal"</c>.</summary>
internal sealed class DriverEqualsNode(string literal, bool negate) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost += 3;
        return Value.Bool(string.Equals(s.Device.Driver, literal, StringComparison.Ordinal) != negate);
    }
}

internal sealed class AllowMultipleAllocationsNode : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost += 2;
        return Value.Bool(s.Device.AllowMultipleAllocations ?? false);
    }
}

internal sealed class DeviceMapNode(bool capacity) : Node, ISafeNode
{
    public bool Capacity { get; } = capacity;

    public override Value Eval(ref EvalState s)
    {
        s.Cost += 2;
        return Value.Map(Capacity ? s.Data.CapacityMap : s.Data.AttributesMap);
    }
}

internal enum SelectMode : byte
{
    Get,
    Has,
    Optional,
}

/// <summary><c>device.attributes["domain"].id</c> and friends with a constant domain and id: one hashed lookup.</summary>
internal sealed class AttributeLookupNode(bool capacity, string domain, string id, SelectMode mode) : Node, ISafeNode
{
    private readonly string _key = FlatTable.Key(domain, id);
    private readonly int _hash = FlatTable.Hash(FlatTable.Key(domain, id));

    public override Value Eval(ref EvalState s)
    {
        s.Cost += 4;
        FlatTable table = capacity ? s.Data.Capacity : s.Data.Attributes;
        bool found = table.TryGet(_key, _hash, out Value v);
        return mode switch
        {
            SelectMode.Get => found ? v : Runtime.NoSuchKeyWithHint(id),
            SelectMode.Has => Value.Bool(found),
            _ => Value.Optional(found ? OptionalValue.Of(v) : OptionalValue.None),
        };
    }
}

/// <summary>Field selection on a map, the device or an optional, or presence test with has().</summary>
internal sealed class SelectNode(Node operand, string field, SelectMode mode) : Node, ISafeNode
{
    private readonly Value _key = Value.String(field);

    public override Value Eval(ref EvalState s)
    {
        Value v = operand.Eval(ref s);
        s.Cost++;
        if (v.Kind == ValueKind.Device && field is "attributes" or "capacity")
        {
            Value m = Value.Map(field == "capacity" ? s.Data.CapacityMap : s.Data.AttributesMap);
            return mode switch
            {
                SelectMode.Has => Value.True,
                SelectMode.Optional => Value.Optional(OptionalValue.Of(m)),
                _ => m,
            };
        }

        return Select(v, _key, field, mode);
    }

    public static Value Select(in Value v, in Value key, string field, SelectMode mode)
    {
        switch (v.Kind)
        {
            case ValueKind.Error:
                return v;
            case ValueKind.Map:
                {
                    MapValue m = v.AsMap;
                    if (mode == SelectMode.Has)
                    {
                        return Value.Bool(m is StringMapValue sm ? sm.ContainsKey(key) : m.TryGet(key, out _));
                    }

                    bool found = m.TryGet(key, out Value r);
                    if (mode == SelectMode.Optional)
                    {
                        return Value.Optional(found ? OptionalValue.Of(r) : OptionalValue.None);
                    }

                    return found ? r : Runtime.NoSuchKeyWithHint(field);
                }

            case ValueKind.Optional:
                {
                    OptionalValue o = v.AsOptional;
                    if (mode == SelectMode.Has)
                    {
                        return o.HasValue ? Select(o.Value, key, field, mode) : Value.False;
                    }

                    if (!o.HasValue)
                    {
                        return v;
                    }

                    Value inner = Select(o.Value, key, field, SelectMode.Optional);
                    return inner;
                }

            case ValueKind.Device:
                {
                    var d = (CelDevice)v.Ref!;
                    if (mode == SelectMode.Has)
                    {
                        return Value.True;
                    }

                    Value r = field switch
                    {
                        "driver" => Value.String(d.Driver),
                        "allowMultipleAllocations" => Value.Bool(d.AllowMultipleAllocations ?? false),
                        _ => Value.Error($"no such field: {field}"),
                    };
                    return mode == SelectMode.Optional && !r.IsError ? Value.Optional(OptionalValue.Of(r)) : r;
                }

            default:
                return Value.Error($"type '{v.TypeName()}' does not support field selection");
        }
    }
}

internal sealed class IndexNode(Node operand, Node index, bool optional) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value v = operand.Eval(ref s);
        Value i = index.Eval(ref s);
        s.Cost++;
        if (v.IsError)
        {
            return v;
        }

        if (i.IsError)
        {
            return i;
        }

        return Index(v, i, optional);
    }

    public static Value Index(in Value v, in Value i, bool optional)
    {
        switch (v.Kind)
        {
            case ValueKind.List:
                {
                    var items = v.AsList.Items;
                    long idx;
                    switch (i.Kind)
                    {
                        case ValueKind.Int: idx = i.AsInt; break;
                        case ValueKind.Uint: idx = i.AsUint > int.MaxValue ? -1 : (long)i.AsUint; break;
                        case ValueKind.Double:
                            double d = i.AsDouble;
                            if (d != Math.Floor(d) || Math.Abs(d) > int.MaxValue)
                            {
                                return Value.Error($"unsupported index value {Value.FormatDouble(d)} in list");
                            }

                            idx = (long)d;
                            break;
                        default:
                            return Value.NoSuchOverload("_[_]");
                    }

                    if (idx < 0 || idx >= items.Length)
                    {
                        return optional ? Value.Optional(OptionalValue.None) : Value.Error($"index out of bounds: {idx}");
                    }

                    return optional ? Value.Optional(OptionalValue.Of(items[idx])) : items[idx];
                }

            case ValueKind.Map:
                {
                    if (i.Kind is not (ValueKind.String or ValueKind.Int or ValueKind.Uint or ValueKind.Bool or ValueKind.Double))
                    {
                        return Value.Error($"unsupported key type: {i.TypeName()}");
                    }

                    bool found = v.AsMap.TryGet(i, out Value r);
                    if (optional)
                    {
                        return Value.Optional(found ? OptionalValue.Of(r) : OptionalValue.None);
                    }

                    return found ? r : Runtime.NoSuchKeyWithHint(i.Kind == ValueKind.String ? i.AsString : i.ToString());
                }

            case ValueKind.Optional:
                {
                    OptionalValue o = v.AsOptional;
                    return o.HasValue ? Index(o.Value, i, true) : v;
                }

            default:
                return Value.NoSuchOverload("_[_]");
        }
    }
}

internal sealed class AndNode(Node[] terms) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value err = default;
        bool hasErr = false;
        foreach (Node t in terms)
        {
            Value v = t.Eval(ref s);
            if (v.Kind == ValueKind.Bool)
            {
                if (!v.AsBool)
                {
                    return Value.False;
                }
            }
            else if (!hasErr)
            {
                hasErr = true;
                err = v.IsError ? v : Value.NoSuchOverload("_&&_");
            }
        }

        return hasErr ? err : Value.True;
    }
}

internal sealed class OrNode(Node[] terms) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value err = default;
        bool hasErr = false;
        foreach (Node t in terms)
        {
            Value v = t.Eval(ref s);
            if (v.Kind == ValueKind.Bool)
            {
                if (v.AsBool)
                {
                    return Value.True;
                }
            }
            else if (!hasErr)
            {
                hasErr = true;
                err = v.IsError ? v : Value.NoSuchOverload("_||_");
            }
        }

        return hasErr ? err : Value.False;
    }
}

internal sealed class NotNode(Node operand) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value v = operand.Eval(ref s);
        s.Cost++;
        return v.Kind == ValueKind.Bool ? Value.Bool(!v.AsBool) : v.IsError ? v : Value.NoSuchOverload("!_");
    }
}

internal sealed class TernaryNode(Node cond, Node a, Node b) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value c = cond.Eval(ref s);
        if (c.Kind == ValueKind.Bool)
        {
            return c.AsBool ? a.Eval(ref s) : b.Eval(ref s);
        }

        return c.IsError ? c : Value.NoSuchOverload("_?_:_");
    }
}

internal sealed class EqualsNode(Node a, Node b, bool negate) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value x = a.Eval(ref s);
        Value y = b.Eval(ref s);
        s.Cost++;
        if (x.IsError)
        {
            return x;
        }

        if (y.IsError)
        {
            return y;
        }

        if (x.Kind == ValueKind.String && y.Kind == ValueKind.String)
        {
            s.Cost += Math.Min(x.AsString.Length, y.AsString.Length) / 10;
        }

        return Value.Bool(Runtime.Equal(x, y) != negate);
    }
}

/// <summary><c>x == "literal"</c>.</summary>
internal sealed class EqualsStringNode(Node a, string literal, bool negate) : Node, ISafeNode
{
    private readonly long _cost = 1 + (literal.Length / 10);

    public override Value Eval(ref EvalState s)
    {
        Value x = a.Eval(ref s);
        s.Cost += _cost;
        if (x.Kind == ValueKind.String)
        {
            return Value.Bool(string.Equals(x.AsString, literal, StringComparison.Ordinal) != negate);
        }

        return x.IsError ? x : Value.Bool(negate);
    }
}

/// <summary><c>x &lt;op&gt; intLiteral</c> for the six comparisons, with a generic fallback.</summary>
internal sealed class CompareIntNode(Node a, long literal, string op, Fn2 fallback) : Node, ISafeNode
{
    private readonly Value _lit = Value.Int(literal);

    public override Value Eval(ref EvalState s)
    {
        Value x = a.Eval(ref s);
        s.Cost++;
        if (x.Kind == ValueKind.Int)
        {
            long v = x.AsInt;
            return Value.Bool(op switch
            {
                "_<_" => v < literal,
                "_<=_" => v <= literal,
                "_>_" => v > literal,
                "_>=_" => v >= literal,
                "_==_" => v == literal,
                _ => v != literal,
            });
        }

        return x.IsError ? x : fallback(ref s, x, _lit);
    }
}

internal sealed class InNode(Node element, Node container) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        Value e = element.Eval(ref s);
        Value c = container.Eval(ref s);
        s.Cost++;
        if (e.IsError)
        {
            return e;
        }

        if (c.IsError)
        {
            return c;
        }

        return In(ref s, e, c);
    }

    public static Value In(ref EvalState s, in Value e, in Value c)
    {
        switch (c.Kind)
        {
            case ValueKind.List:
                {
                    var items = c.AsList.Items;
                    s.Cost += items.Length / 10;
                    foreach (var item in items)
                    {
                        if (Runtime.Equal(item, e))
                        {
                            return Value.True;
                        }
                    }

                    return Value.False;
                }

            case ValueKind.Map:
                {
                    MapValue m = c.AsMap;
                    return Value.Bool(m is StringMapValue sm ? sm.ContainsKey(e) : m.TryGet(e, out _));
                }

            default:
                return Value.NoSuchOverload("@in");
        }
    }
}

internal sealed class ListNode(Node[] elements, bool[] optional) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost += 10;
        var items = new List<Value>(elements.Length);
        for (int i = 0; i < elements.Length; i++)
        {
            Value v = elements[i].Eval(ref s);
            if (v.IsError)
            {
                return v;
            }

            if (optional[i])
            {
                if (v.Kind != ValueKind.Optional)
                {
                    return Value.NoSuchOverload("optional list element");
                }

                if (v.AsOptional.HasValue)
                {
                    items.Add(v.AsOptional.Value);
                }

                continue;
            }

            items.Add(v);
        }

        return Value.List([.. items]);
    }
}

internal sealed class MapNode((Node Key, Node Value, bool Optional)[] entries) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost += 30;
        var map = new DictMapValue(entries.Length);
        foreach (var (kn, vn, opt) in entries)
        {
            Value k = kn.Eval(ref s);
            if (k.IsError)
            {
                return k;
            }

            if (k.Kind is not (ValueKind.String or ValueKind.Int or ValueKind.Uint or ValueKind.Bool))
            {
                return Value.Error($"unsupported key type: {k.TypeName()}");
            }

            Value v = vn.Eval(ref s);
            if (v.IsError)
            {
                return v;
            }

            if (opt)
            {
                if (v.Kind != ValueKind.Optional)
                {
                    return Value.NoSuchOverload("optional map entry");
                }

                if (!v.AsOptional.HasValue)
                {
                    continue;
                }

                v = v.AsOptional.Value;
            }

            if (!map.Add(k, v))
            {
                return Value.Error($"Failed with repeated key: {k}");
            }
        }

        return Value.Map(map);
    }
}

internal sealed class BindNode(int slot, Node init, Node body) : Node, ISafeNode
{
    public override Value Eval(ref EvalState s)
    {
        s.Locals[slot] = init.Eval(ref s);
        return body.Eval(ref s);
    }
}

/// <summary>A call with the overloads the checker found possible; the first that fits the runtime kinds runs.</summary>
internal sealed class CallNode(string name, Overload[] overloads, Node[] args, bool exact) : Node
{
    public override Value Eval(ref EvalState s)
    {
        s.Cost++;
        switch (args.Length)
        {
            case 1:
                {
                    Value a = args[0].Eval(ref s);
                    if (a.IsError)
                    {
                        return a;
                    }

                    if (exact)
                    {
                        return overloads[0].F1!(ref s, a);
                    }

                    foreach (var o in overloads)
                    {
                        if (o.Params[0].Matches(a))
                        {
                            return o.F1!(ref s, a);
                        }
                    }

                    return Value.NoSuchOverload(name);
                }

            case 2:
                {
                    Value a = args[0].Eval(ref s);
                    if (a.IsError)
                    {
                        return a;
                    }

                    Value b = args[1].Eval(ref s);
                    if (b.IsError)
                    {
                        return b;
                    }

                    if (exact)
                    {
                        return overloads[0].F2!(ref s, a, b);
                    }

                    foreach (var o in overloads)
                    {
                        if (o.Params[0].Matches(a) && o.Params[1].Matches(b))
                        {
                            return o.F2!(ref s, a, b);
                        }
                    }

                    return Value.NoSuchOverload(name);
                }

            case 3:
                {
                    Value a = args[0].Eval(ref s);
                    if (a.IsError)
                    {
                        return a;
                    }

                    Value b = args[1].Eval(ref s);
                    if (b.IsError)
                    {
                        return b;
                    }

                    Value c = args[2].Eval(ref s);
                    if (c.IsError)
                    {
                        return c;
                    }

                    foreach (var o in overloads)
                    {
                        if (exact || (o.Params[0].Matches(a) && o.Params[1].Matches(b) && o.Params[2].Matches(c)))
                        {
                            return o.F3!(ref s, a, b, c);
                        }
                    }

                    return Value.NoSuchOverload(name);
                }

            default:
                {
                    var values = new Value[args.Length];
                    for (int i = 0; i < args.Length; i++)
                    {
                        values[i] = args[i].Eval(ref s);
                        if (values[i].IsError)
                        {
                            return values[i];
                        }
                    }

                    foreach (var o in overloads)
                    {
                        bool ok = true;
                        for (int i = 0; i < values.Length && ok; i++)
                        {
                            ok = o.Params[i].Matches(values[i]);
                        }

                        if (exact || ok)
                        {
                            return o.FN!(ref s, values);
                        }
                    }

                    return Value.NoSuchOverload(name);
                }
        }
    }
}

/// <summary>A two-argument call whose second argument is a constant (e.g. <c>q.compareTo(quantity("40Gi"))</c>).</summary>
internal sealed class CallConstNode(string name, Node a, Value b, Overload overload, bool exact) : Node
{
    private readonly Fn2 _fn = overload.F2!;
    private readonly CelType _receiver = overload.Params[0];

    public override Value Eval(ref EvalState s)
    {
        Value x = a.Eval(ref s);
        s.Cost++;
        if (x.IsError)
        {
            return x;
        }

        return exact || _receiver.Matches(x) ? _fn(ref s, x, b) : Value.NoSuchOverload(name);
    }
}
