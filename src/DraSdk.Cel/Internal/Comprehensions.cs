namespace DraSdk.Cel.Internal;

/// <summary>The expanded macros: all, exists, exists_one, map, filter, sortBy, the two-variable forms and optMap.</summary>
internal sealed class ComprehensionNode(MacroKind kind, Node range, int slot1, int slot2, Node? predicate, Node? transform) : Node
{
    public override Value Eval(ref EvalState s)
    {
        Value r = range.Eval(ref s);
        if (r.IsError)
        {
            return r;
        }

        if (kind is MacroKind.OptMap or MacroKind.OptFlatMap)
        {
            if (r.Kind != ValueKind.Optional)
            {
                return Value.NoSuchOverload(kind == MacroKind.OptMap ? "optMap" : "optFlatMap");
            }

            OptionalValue o = r.AsOptional;
            if (!o.HasValue)
            {
                return r;
            }

            s.Locals[slot1] = o.Value;
            Value t = transform!.Eval(ref s);
            if (t.IsError || kind == MacroKind.OptFlatMap)
            {
                return t.IsError || t.Kind == ValueKind.Optional ? t : Value.NoSuchOverload("optFlatMap");
            }

            return Value.Optional(OptionalValue.Of(t));
        }

        Value[] firsts;
        Value[]? seconds = null;
        bool isMap = false;
        switch (r.Kind)
        {
            case ValueKind.List:
                {
                    Value[] items = r.AsList.Items;
                    if (slot2 >= 0)
                    {
                        firsts = new Value[items.Length];
                        for (int i = 0; i < items.Length; i++)
                        {
                            firsts[i] = Value.Int(i);
                        }

                        seconds = items;
                    }
                    else
                    {
                        firsts = items;
                    }

                    break;
                }

            case ValueKind.Map:
                {
                    isMap = true;
                    MapValue m = r.AsMap;
                    firsts = new Value[m.Count];
                    if (slot2 >= 0)
                    {
                        seconds = new Value[m.Count];
                    }

                    int i = 0;
                    foreach (var (k, v) in m.Entries())
                    {
                        firsts[i] = k;
                        if (seconds is not null)
                        {
                            seconds[i] = v;
                        }

                        i++;
                    }

                    break;
                }

            default:
                return Value.Error($"expression of type '{r.TypeName()}' cannot be range of a comprehension (must be list, map, or dynamic)");
        }

        switch (kind)
        {
            case MacroKind.All:
            case MacroKind.All2:
            case MacroKind.Exists:
            case MacroKind.Exists2:
                {
                    bool isAll = kind is MacroKind.All or MacroKind.All2;
                    Value err = default;
                    bool hasErr = false;
                    for (int i = 0; i < firsts.Length; i++)
                    {
                        s.Tick();
                        Bind(ref s, firsts, seconds, i);
                        Value p = predicate!.Eval(ref s);
                        if (p.Kind == ValueKind.Bool)
                        {
                            if (p.AsBool != isAll)
                            {
                                return p;
                            }
                        }
                        else if (!hasErr)
                        {
                            hasErr = true;
                            err = p.IsError ? p : Value.NoSuchOverload(isAll ? "_&&_" : "_||_");
                        }
                    }

                    return hasErr ? err : Value.Bool(isAll);
                }

            case MacroKind.ExistsOne:
            case MacroKind.ExistsOne2:
                {
                    int count = 0;
                    for (int i = 0; i < firsts.Length; i++)
                    {
                        s.Tick();
                        Bind(ref s, firsts, seconds, i);
                        Value p = predicate!.Eval(ref s);
                        if (p.Kind != ValueKind.Bool)
                        {
                            return p.IsError ? p : Value.NoSuchOverload("exists_one");
                        }

                        if (p.AsBool)
                        {
                            count++;
                        }
                    }

                    return Value.Bool(count == 1);
                }

            case MacroKind.Map:
            case MacroKind.MapFilter:
            case MacroKind.Filter:
            case MacroKind.TransformList:
            case MacroKind.TransformListFilter:
                {
                    var result = new List<Value>(firsts.Length);
                    for (int i = 0; i < firsts.Length; i++)
                    {
                        s.Tick();
                        Bind(ref s, firsts, seconds, i);
                        if (predicate is not null)
                        {
                            Value p = predicate.Eval(ref s);
                            if (p.Kind != ValueKind.Bool)
                            {
                                return p.IsError ? p : Value.NoSuchOverload("filter");
                            }

                            if (!p.AsBool)
                            {
                                continue;
                            }
                        }

                        Value t = transform is null ? firsts[i] : transform.Eval(ref s);
                        if (t.IsError)
                        {
                            return t;
                        }

                        result.Add(t);
                    }

                    return Value.List([.. result]);
                }

            case MacroKind.TransformMap:
            case MacroKind.TransformMapFilter:
            case MacroKind.TransformMapEntry:
            case MacroKind.TransformMapEntryFilter:
                {
                    bool entry = kind is MacroKind.TransformMapEntry or MacroKind.TransformMapEntryFilter;
                    var map = new DictMapValue(firsts.Length);
                    for (int i = 0; i < firsts.Length; i++)
                    {
                        s.Tick();
                        Bind(ref s, firsts, seconds, i);
                        if (predicate is not null)
                        {
                            Value p = predicate.Eval(ref s);
                            if (p.Kind != ValueKind.Bool)
                            {
                                return p.IsError ? p : Value.NoSuchOverload("transformMap");
                            }

                            if (!p.AsBool)
                            {
                                continue;
                            }
                        }

                        Value t = transform!.Eval(ref s);
                        if (t.IsError)
                        {
                            return t;
                        }

                        if (!entry)
                        {
                            map.Add(firsts[i], t);
                            continue;
                        }

                        if (t.Kind != ValueKind.Map)
                        {
                            return Value.NoSuchOverload("transformMapEntry");
                        }

                        foreach (var (k, v) in t.AsMap.Entries())
                        {
                            if (!map.Add(k, v))
                            {
                                return Value.Error($"insert failed: key {k} already exists");
                            }
                        }
                    }

                    return Value.Map(map);
                }

            case MacroKind.SortBy:
                {
                    if (isMap)
                    {
                        return Value.NoSuchOverload("sortBy");
                    }

                    var keys = new Value[firsts.Length];
                    for (int i = 0; i < firsts.Length; i++)
                    {
                        s.Tick();
                        Bind(ref s, firsts, seconds, i);
                        keys[i] = transform!.Eval(ref s);
                        if (keys[i].IsError)
                        {
                            return keys[i];
                        }
                    }

                    return Lists.SortByKeys(ref s, firsts, keys);
                }

            default:
                return Value.Error($"unsupported macro {kind}");
        }
    }

    private void Bind(ref EvalState s, Value[] firsts, Value[]? seconds, int i)
    {
        s.Locals[slot1] = firsts[i];
        if (slot2 >= 0)
        {
            s.Locals[slot2] = seconds![i];
        }
    }
}
