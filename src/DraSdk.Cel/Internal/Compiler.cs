namespace DraSdk.Cel.Internal;

/// <summary><c>device.attributes["domain"]</c> (or <c>device.capacity</c>) with a constant domain.</summary>
internal sealed class DomainNode(bool capacity, string domain) : Node, ISafeNode
{
    private readonly Value _key = Value.String(domain);

    public bool Capacity { get; } = capacity;

    public string Domain { get; } = domain;

    public override Value Eval(ref EvalState s)
    {
        s.Cost += 3;
        StringMapValue map = Capacity ? s.Data.CapacityMap : s.Data.AttributesMap;
        map.TryGet(_key, out Value inner);
        return inner;
    }
}

/// <summary>Type-checks the AST against the DRA environment and builds the evaluation nodes.</summary>
internal sealed class Compiler
{
    private static readonly CelType AttrInner = CelType.MapOf(CelType.String, CelType.Dyn);
    private static readonly CelType AttrOuter = CelType.MapOf(CelType.String, AttrInner);
    private static readonly CelType CapInner = CelType.MapOf(CelType.String, CelType.Quantity);
    private static readonly CelType CapOuter = CelType.MapOf(CelType.String, CapInner);

    private static readonly Dictionary<string, CelType> TypeNames = new(StringComparer.Ordinal)
    {
        ["int"] = CelType.Int,
        ["uint"] = CelType.Uint,
        ["double"] = CelType.Double,
        ["bool"] = CelType.Bool,
        ["string"] = CelType.String,
        ["bytes"] = CelType.Bytes,
        ["list"] = CelType.ListDyn,
        ["map"] = CelType.MapDyn,
        ["null_type"] = CelType.Null,
        ["type"] = CelType.TypeType,
    };

    private readonly string _src;
    private readonly CelFeatures _features;
    private readonly Library _lib;
    private Scope? _scope;
    private int _slots;
    private bool _mayThrow;

    private Compiler(string src, CelFeatures features)
    {
        _src = src;
        _features = features;
        _lib = Library.Get(features);
    }

    public static (Node Root, int Locals, bool Safe) Compile(string source, CelFeatures features)
    {
        Expr e = Parser.Parse(source);
        var c = new Compiler(source, features);
        var (node, type) = c.C(e);
        if (type.Kind is not (TypeKind.Bool or TypeKind.Dyn))
        {
            throw c.Error(e.Pos, $"must evaluate to bool or the unknown type, not {type}");
        }

        return (node, c._slots, !c._mayThrow);
    }

    private CelCompileException Error(int pos, string message) => new(_src, pos, message);

    private sealed record Scope(string Name, int Slot, CelType Type, Scope? Parent);

    private Scope? Lookup(string name)
    {
        for (var s = _scope; s is not null; s = s.Parent)
        {
            if (s.Name == name)
            {
                return s;
            }
        }

        return null;
    }

    private (Node, CelType) C(Expr e) => e switch
    {
        ConstExpr k => (new ConstNode(k.Value), k.Value.RuntimeType()),
        IdentExpr id => Ident(id),
        SelectExpr sel => Select(sel),
        CallExpr call => Call(call),
        LogicalExpr l => Logical(l),
        ListExpr l => List(l),
        MapExpr m => Map(m),
        ComprehensionExpr c => Comprehension(c),
        BindExpr b => Bind(b),
        _ => throw Error(e.Pos, "unsupported expression"),
    };

    private (Node, CelType) Ident(IdentExpr id)
    {
        if (Lookup(id.Name) is { } local)
        {
            return (new LocalNode(local.Slot), local.Type);
        }

        if (id.Name == "device")
        {
            return (new DeviceNode(), CelType.Device);
        }

        if (TypeNames.TryGetValue(id.Name, out var t))
        {
            return (new ConstNode(Value.Type(t)), CelType.TypeType);
        }

        throw Error(id.Pos, $"undeclared reference to '{id.Name}' (in container '')");
    }

    private static SelectMode Mode(bool testOnly, bool optional) => testOnly ? SelectMode.Has : optional ? SelectMode.Optional : SelectMode.Get;

    private (Node, CelType) Select(SelectExpr sel)
    {
        var (on, ot) = C(sel.Operand);
        SelectMode mode = Mode(sel.TestOnly, sel.Optional);
        CelType result;
        if (ot.Kind == TypeKind.Device)
        {
            result = sel.Field switch
            {
                "driver" => CelType.String,
                "attributes" => AttrOuter,
                "capacity" => CapOuter,
                "allowMultipleAllocations" when _features.HasFlag(CelFeatures.ConsumableCapacity) => CelType.Bool,
                _ => throw Error(sel.Pos, $"undefined field '{sel.Field}'"),
            };
            if (on is DeviceNode && mode == SelectMode.Get)
            {
                Node direct = sel.Field switch
                {
                    "driver" => new DriverNode(),
                    "attributes" => new DeviceMapNode(false),
                    "capacity" => new DeviceMapNode(true),
                    _ => new AllowMultipleAllocationsNode(),
                };
                return (direct, result);
            }

            return (new SelectNode(on, sel.Field, mode), Wrap(result, mode));
        }

        if (on is DeviceMapNode dm && mode == SelectMode.Get)
        {
            return (new DomainNode(dm.Capacity, sel.Field), dm.Capacity ? CapInner : AttrInner);
        }

        if (on is DomainNode dn)
        {
            CelType vt = dn.Capacity ? CelType.Quantity : CelType.Dyn;
            return (new AttributeLookupNode(dn.Capacity, dn.Domain, sel.Field, mode), Wrap(vt, mode));
        }

        result = ot.Kind switch
        {
            TypeKind.Map when ot.Key!.Kind is TypeKind.String or TypeKind.Dyn => ot.Elem!,
            TypeKind.Dyn => CelType.Dyn,
            TypeKind.Optional => ot.Elem!.Kind switch
            {
                TypeKind.Map => CelType.OptionalOf(ot.Elem.Elem!),
                TypeKind.Dyn => CelType.OptionalOf(CelType.Dyn),
                TypeKind.Device => CelType.OptionalOf(CelType.Dyn),
                _ => throw Error(sel.Pos, $"type '{ot.Elem}' does not support field selection"),
            },
            _ => throw Error(sel.Pos, $"type '{ot}' does not support field selection"),
        };
        if (ot.Kind == TypeKind.Optional && mode != SelectMode.Has)
        {
            return (new SelectNode(on, sel.Field, mode), result);
        }

        return (new SelectNode(on, sel.Field, mode), Wrap(result, mode));
    }

    private static CelType Wrap(CelType t, SelectMode mode) => mode switch
    {
        SelectMode.Has => CelType.Bool,
        SelectMode.Optional => t.Kind == TypeKind.Optional ? t : CelType.OptionalOf(t),
        _ => t,
    };

    private (Node, CelType) Logical(LogicalExpr l)
    {
        var nodes = new Node[l.Terms.Count];
        for (int i = 0; i < nodes.Length; i++)
        {
            var (n, t) = C(l.Terms[i]);
            if (t.Kind is not (TypeKind.Bool or TypeKind.Dyn))
            {
                throw Error(l.Terms[i].Pos, $"found no matching overload for '{(l.IsAnd ? "_&&_" : "_||_")}' applied to '({t}, bool)'");
            }

            nodes[i] = n;
        }

        return (l.IsAnd ? new AndNode(nodes) : new OrNode(nodes), CelType.Bool);
    }

    private (Node, CelType) List(ListExpr l)
    {
        var nodes = new Node[l.Elements.Length];
        CelType? elem = null;
        bool allConst = true;
        for (int i = 0; i < nodes.Length; i++)
        {
            var (n, t) = C(l.Elements[i]);
            if (l.Optional[i])
            {
                if (t.Kind is not (TypeKind.Optional or TypeKind.Dyn))
                {
                    throw Error(l.Elements[i].Pos, $"expected optional type, got {t}");
                }

                t = t.Elem ?? CelType.Dyn;
                allConst = false;
            }

            nodes[i] = n;
            elem = elem is null ? t : CelType.Join(elem, t);
            allConst &= n is ConstNode;
        }

        var type = CelType.ListOf(elem ?? CelType.Dyn);
        if (allConst)
        {
            var items = new Value[nodes.Length];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = ((ConstNode)nodes[i]).Value;
            }

            return (new ConstNode(Value.List(items)), type);
        }

        return (new ListNode(nodes, l.Optional), type);
    }

    private (Node, CelType) Map(MapExpr m)
    {
        var entries = new (Node, Node, bool)[m.Entries.Length];
        CelType? kt = null, vt = null;
        for (int i = 0; i < entries.Length; i++)
        {
            var (kn, k) = C(m.Entries[i].Key);
            var (vn, v) = C(m.Entries[i].Value);
            if (k.Kind is not (TypeKind.String or TypeKind.Int or TypeKind.Uint or TypeKind.Bool or TypeKind.Dyn))
            {
                throw Error(m.Entries[i].Key.Pos, $"unsupported map key type: {k}");
            }

            if (m.Entries[i].Optional)
            {
                v = v.Elem ?? CelType.Dyn;
            }

            entries[i] = (kn, vn, m.Entries[i].Optional);
            kt = kt is null ? k : CelType.Join(kt, k);
            vt = vt is null ? v : CelType.Join(vt, v);
        }

        return (new MapNode(entries), CelType.MapOf(kt ?? CelType.Dyn, vt ?? CelType.Dyn));
    }

    private int NewSlot(string name, CelType type)
    {
        int slot = _slots++;
        _scope = new Scope(name, slot, type, _scope);
        return slot;
    }

    private (Node, CelType) Bind(BindExpr b)
    {
        var (init, it) = C(b.Init);
        Scope? saved = _scope;
        int slot = NewSlot(b.Name, it);
        var (body, bt) = C(b.Body);
        _scope = saved;
        return (new BindNode(slot, init, body), bt);
    }

    private (Node, CelType) Comprehension(ComprehensionExpr c)
    {
        var (rn, rt) = C(c.Range);
        bool two = c.Var2 is not null;
        CelType t1, t2 = CelType.Dyn;
        if (c.Kind is MacroKind.OptMap or MacroKind.OptFlatMap)
        {
            t1 = rt.Kind switch
            {
                TypeKind.Optional => rt.Elem!,
                TypeKind.Dyn => CelType.Dyn,
                _ => throw Error(c.Range.Pos, $"found no matching overload for '{(c.Kind == MacroKind.OptMap ? "optMap" : "optFlatMap")}' applied to '{rt}'"),
            };
        }
        else
        {
            switch (rt.Kind)
            {
                case TypeKind.List:
                    t1 = two ? CelType.Int : rt.Elem!;
                    t2 = rt.Elem!;
                    break;
                case TypeKind.Map:
                    t1 = rt.Key!;
                    t2 = rt.Elem!;
                    break;
                case TypeKind.Dyn:
                    t1 = CelType.Dyn;
                    break;
                default:
                    throw Error(c.Range.Pos, $"expression of type '{rt}' cannot be range of a comprehension (must be list, map, or dynamic)");
            }
        }

        Scope? saved = _scope;
        int slot1 = NewSlot(c.Var1, t1);
        int slot2 = two ? NewSlot(c.Var2!, t2) : -1;
        bool hasPredicate = c.Kind is MacroKind.All or MacroKind.Exists or MacroKind.ExistsOne or MacroKind.All2 or MacroKind.Exists2
            or MacroKind.ExistsOne2 or MacroKind.MapFilter or MacroKind.Filter or MacroKind.TransformListFilter
            or MacroKind.TransformMapFilter or MacroKind.TransformMapEntryFilter;
        bool hasTransform = c.Kind is not (MacroKind.All or MacroKind.Exists or MacroKind.ExistsOne or MacroKind.All2
            or MacroKind.Exists2 or MacroKind.ExistsOne2 or MacroKind.Filter);
        Node? pred = null, transform = null;
        CelType tt = CelType.Dyn;
        int bi = 0;
        if (hasPredicate)
        {
            var (pn, pt) = C(c.Bodies[bi]);
            if (pt.Kind is not (TypeKind.Bool or TypeKind.Dyn))
            {
                throw Error(c.Bodies[bi].Pos, $"found no matching overload for '_&&_' applied to '(bool, {pt})'");
            }

            pred = pn;
            bi++;
        }

        if (hasTransform)
        {
            (transform, tt) = C(c.Bodies[bi]);
        }

        _scope = saved;
        CelType result = c.Kind switch
        {
            MacroKind.All or MacroKind.Exists or MacroKind.ExistsOne or MacroKind.All2 or MacroKind.Exists2 or MacroKind.ExistsOne2 => CelType.Bool,
            MacroKind.Map or MacroKind.MapFilter or MacroKind.TransformList or MacroKind.TransformListFilter => CelType.ListOf(tt),
            MacroKind.Filter => CelType.ListOf(rt.Kind == TypeKind.List ? rt.Elem! : rt.Kind == TypeKind.Map ? rt.Key! : CelType.Dyn),
            MacroKind.SortBy => rt.Kind == TypeKind.Map ? throw Error(c.Range.Pos, "sortBy applies to lists") : rt,
            MacroKind.TransformMap or MacroKind.TransformMapFilter => CelType.MapOf(rt.Kind == TypeKind.List ? CelType.Int : rt.Key ?? CelType.Dyn, tt),
            MacroKind.TransformMapEntry or MacroKind.TransformMapEntryFilter => tt.Kind is TypeKind.Map or TypeKind.Dyn
                ? CelType.MapOf(tt.Key ?? CelType.Dyn, tt.Elem ?? CelType.Dyn)
                : throw Error(c.Bodies[^1].Pos, $"transformMapEntry must produce a map, not {tt}"),
            MacroKind.OptMap => CelType.OptionalOf(tt),
            MacroKind.OptFlatMap => tt.Kind is TypeKind.Optional or TypeKind.Dyn ? tt : throw Error(c.Bodies[^1].Pos, $"optFlatMap must produce an optional, not {tt}"),
            _ => CelType.Dyn,
        };
        _mayThrow = true;
        return (new ComprehensionNode(c.Kind, rn, slot1, slot2, pred, transform), result);
    }

    private (Node, CelType) Call(CallExpr c)
    {
        switch (c.Function)
        {
            case "_?_:_":
                {
                    var (cn, ct) = C(c.Args[0]);
                    if (ct.Kind is not (TypeKind.Bool or TypeKind.Dyn))
                    {
                        throw Error(c.Args[0].Pos, $"found no matching overload for '_?_:_' applied to '({ct}, ...)'");
                    }

                    var (an, at) = C(c.Args[1]);
                    var (bn, bt) = C(c.Args[2]);
                    if (cn is ConstNode { Value.Kind: ValueKind.Bool } k)
                    {
                        return (k.Value.AsBool ? an : bn, CelType.Join(at, bt));
                    }

                    return (new TernaryNode(cn, an, bn), CelType.Join(at, bt));
                }

            case "!_":
                {
                    var (n, t) = C(c.Args[0]);
                    if (t.Kind is not (TypeKind.Bool or TypeKind.Dyn))
                    {
                        throw Error(c.Pos, $"found no matching overload for '!_' applied to '({t})'");
                    }

                    return (new NotNode(n), CelType.Bool);
                }

            case "_==_":
            case "_!=_":
                return Equality(c);
            case "@in":
                {
                    var (en, et) = C(c.Args[0]);
                    var (cn, ct) = C(c.Args[1]);
                    bool ok = ct.Kind switch
                    {
                        TypeKind.List => CelType.Assignable(ct.Elem!, et) || IsNumeric(ct.Elem!) && IsNumeric(et),
                        TypeKind.Map => CelType.Assignable(ct.Key!, et) || IsNumeric(ct.Key!) && IsNumeric(et),
                        TypeKind.Dyn => true,
                        _ => false,
                    };
                    if (!ok)
                    {
                        throw Error(c.Pos, $"found no matching overload for '@in' applied to '({et}, {ct})'");
                    }

                    return (new InNode(en, cn), CelType.Bool);
                }

            case "_[_]":
            case "_[?_]":
                return Index(c);
            default:
                return Function(c);
        }
    }

    private static bool IsNumeric(CelType t) => t.Kind is TypeKind.Int or TypeKind.Uint or TypeKind.Double;

    private (Node, CelType) Equality(CallExpr c)
    {
        bool negate = c.Function == "_!=_";
        var (an, at) = C(c.Args[0]);
        var (bn, bt) = C(c.Args[1]);
        bool compatible = at.IsDyn || bt.IsDyn || at.Kind == TypeKind.Null || bt.Kind == TypeKind.Null ||
            at.Kind == bt.Kind || (IsNumeric(at) && IsNumeric(bt)) || at.Kind == TypeKind.Optional || bt.Kind == TypeKind.Optional;
        if (!compatible)
        {
            throw Error(c.Pos, $"found no matching overload for '{c.Function}' applied to '({at}, {bt})'");
        }

        if (an is ConstNode && bn is not ConstNode)
        {
            (an, bn) = (bn, an);
        }

        if (bn is ConstNode { Value.Kind: ValueKind.String } ks)
        {
            if (an is DriverNode)
            {
                return (new DriverEqualsNode(ks.Value.AsString, negate), CelType.Bool);
            }

            if (an is not ConstNode)
            {
                return (new EqualsStringNode(an, ks.Value.AsString, negate), CelType.Bool);
            }
        }

        if (an is ConstNode ka && bn is ConstNode kb)
        {
            return (new ConstNode(Value.Bool(Runtime.Equal(ka.Value, kb.Value) != negate)), CelType.Bool);
        }

        if (bn is ConstNode { Value.Kind: ValueKind.Int } ki)
        {
            Fn2 fallback = (ref EvalState s, Value x, Value y) => Value.Bool(Runtime.Equal(x, y) != negate);
            return (new CompareIntNode(an, ki.Value.AsInt, c.Function, fallback), CelType.Bool);
        }

        return (new EqualsNode(an, bn, negate), CelType.Bool);
    }

    private (Node, CelType) Index(CallExpr c)
    {
        bool optional = c.Function == "_[?_]";
        var (on, ot) = C(c.Args[0]);
        var (idx, it) = C(c.Args[1]);
        if (idx is ConstNode { Value.Kind: ValueKind.String } key)
        {
            if (on is DeviceMapNode dm && !optional)
            {
                return (new DomainNode(dm.Capacity, key.Value.AsString), dm.Capacity ? CapInner : AttrInner);
            }

            if (on is DomainNode dn)
            {
                CelType vt = dn.Capacity ? CelType.Quantity : CelType.Dyn;
                SelectMode mode = optional ? SelectMode.Optional : SelectMode.Get;
                return (new AttributeLookupNode(dn.Capacity, dn.Domain, key.Value.AsString, mode), Wrap(vt, mode));
            }
        }

        CelType result = ot.Kind switch
        {
            TypeKind.List when it.Kind is TypeKind.Int or TypeKind.Uint or TypeKind.Double or TypeKind.Dyn => ot.Elem!,
            TypeKind.Map when CelType.Assignable(ot.Key!, it) || (IsNumeric(ot.Key!) && IsNumeric(it)) => ot.Elem!,
            TypeKind.Optional => ot.Elem!.Kind switch
            {
                TypeKind.List or TypeKind.Map => ot.Elem.Elem!,
                _ => CelType.Dyn,
            },
            TypeKind.Dyn => CelType.Dyn,
            _ => throw Error(c.Pos, $"found no matching overload for '{c.Function}' applied to '({ot}, {it})'"),
        };
        if (optional || ot.Kind == TypeKind.Optional)
        {
            result = CelType.OptionalOf(result);
        }

        return (new IndexNode(on, idx, optional), result);
    }

    private (Node, CelType) Function(CallExpr c)
    {
        string name = c.Function;
        Expr? target = c.Target;
        if (target is IdentExpr ns && Lookup(ns.Name) is null && ns.Name != "device" && _lib.TryGet(ns.Name + "." + name, out _))
        {
            name = ns.Name + "." + name;
            target = null;
        }

        if (name == "optional.none" && c.Args.Length == 0)
        {
            return (new ConstNode(Value.Optional(OptionalValue.None)), CelType.OptionalOf(CelType.Dyn));
        }

        if (!_lib.TryGet(name, out var overloads))
        {
            throw Error(c.Pos, $"undeclared reference to '{name}' (in container '')");
        }

        bool member = target is not null;
        var argExprs = member ? [target!, .. c.Args] : c.Args;
        var nodes = new Node[argExprs.Length];
        var types = new CelType[argExprs.Length];
        for (int i = 0; i < nodes.Length; i++)
        {
            (nodes[i], types[i]) = C(argExprs[i]);
        }

        var candidates = new List<Overload>();
        foreach (var o in overloads!)
        {
            if (o.Member != member || o.Params.Length != types.Length)
            {
                continue;
            }

            bool ok = true;
            for (int i = 0; i < types.Length && ok; i++)
            {
                ok = CelType.Assignable(o.Params[i], types[i]);
            }

            if (ok)
            {
                candidates.Add(o);
            }
        }

        if (candidates.Count == 0)
        {
            string sig = member
                ? $"{types[0]}.({string.Join(", ", types.Skip(1))})"
                : $"({string.Join(", ", types)})";
            throw Error(c.Pos, $"found no matching overload for '{c.Function}' applied to '{sig}'");
        }

        CelType result = candidates[0].Result(types);
        for (int i = 1; i < candidates.Count; i++)
        {
            result = CelType.Join(result, candidates[i].Result(types));
        }

        bool exact = candidates.Count == 1;
        for (int i = 0; i < types.Length && exact; i++)
        {
            exact = candidates[0].Params[i].IsDyn || !types[i].IsDyn;
        }

        // A constant pattern must be a valid RE2 expression.
        if (name is "matches" or "find" or "findAll" && nodes.Length >= 2 && nodes[1] is ConstNode { Value.Kind: ValueKind.String } pattern &&
            !Regexes.TryGet(pattern.Value.AsString, out _, out string? reError))
        {
            throw Error(argExprs[1].Pos, reError!);
        }

        var array = candidates.ToArray();
        bool safe = candidates.TrueForAll(o => o.Safe);
        Node call = nodes.Length == 2 && nodes[1] is ConstNode k2 && candidates.Count == 1 && candidates[0].F2 is not null
            ? new CallConstNode(c.Function, nodes[0], k2.Value, candidates[0], exact)
            : new CallNode(c.Function, array, nodes, exact);

        if (nodes.Length > 0 && Array.TrueForAll(nodes, n => n is ConstNode) && candidates.TrueForAll(o => o.Foldable))
        {
            var st = new EvalState { Limit = long.MaxValue, Locals = [] };
            try
            {
                Value v = call.Eval(ref st);
                if (!v.IsError)
                {
                    return (new ConstNode(v), result);
                }

                _mayThrow |= !safe;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or FormatException)
            {
                // Evaluated at run time instead, where the error is reported per device.
            }
        }

        // x < 5 and friends against an int literal.
        if (name is "_<_" or "_<=_" or "_>_" or "_>=_" && nodes.Length == 2 && nodes[1] is ConstNode { Value.Kind: ValueKind.Int } lit &&
            types[0].Kind is TypeKind.Int or TypeKind.Dyn)
        {
            Overload[] all = [.. overloads!.Where(o => o.Params.Length == 2)];
            string op = name;
            Fn2 fallback = (ref EvalState s, Value x, Value y) =>
            {
                foreach (var o in all)
                {
                    if (o.Params[0].Matches(x) && o.Params[1].Matches(y))
                    {
                        return o.F2!(ref s, x, y);
                    }
                }

                return Value.NoSuchOverload(op);
            };
            return (new CompareIntNode(nodes[0], lit.Value.AsInt, name, fallback), result);
        }

        _mayThrow |= !safe;
        return (call, result);
    }
}
