namespace DraSdk.Cel.Internal;

internal abstract class Expr(int pos)
{
    /// <summary>0-based character offset in the expression.</summary>
    public int Pos { get; } = pos;
}

internal sealed class ConstExpr(int pos, Value value) : Expr(pos)
{
    public Value Value { get; } = value;
}

internal sealed class IdentExpr(int pos, string name) : Expr(pos)
{
    public string Name { get; } = name;
}

/// <summary><c>a.f</c>, <c>a.?f</c> (optional) or <c>has(a.f)</c> (test only).</summary>
internal sealed class SelectExpr(int pos, Expr operand, string field, bool optional, bool testOnly) : Expr(pos)
{
    public Expr Operand { get; } = operand;

    public string Field { get; } = field;

    public bool Optional { get; } = optional;

    public bool TestOnly { get; } = testOnly;
}

/// <summary>A function or operator call; operators use the CEL names (<c>_+_</c>, <c>_[_]</c>, <c>@in</c>…).</summary>
internal sealed class CallExpr(int pos, Expr? target, string function, Expr[] args) : Expr(pos)
{
    public Expr? Target { get; } = target;

    public string Function { get; } = function;

    public Expr[] Args { get; } = args;
}

internal sealed class LogicalExpr(int pos, bool isAnd, List<Expr> terms) : Expr(pos)
{
    public bool IsAnd { get; } = isAnd;

    public List<Expr> Terms { get; } = terms;
}

internal sealed class ListExpr(int pos, Expr[] elements, bool[] optional) : Expr(pos)
{
    public Expr[] Elements { get; } = elements;

    public bool[] Optional { get; } = optional;
}

internal sealed class MapExpr(int pos, (Expr Key, Expr Value, bool Optional)[] entries) : Expr(pos)
{
    public (Expr Key, Expr Value, bool Optional)[] Entries { get; } = entries;
}

internal enum MacroKind
{
    All,
    Exists,
    ExistsOne,
    Map,
    MapFilter,
    Filter,
    SortBy,
    OptMap,
    OptFlatMap,
    All2,
    Exists2,
    ExistsOne2,
    TransformList,
    TransformListFilter,
    TransformMap,
    TransformMapFilter,
    TransformMapEntry,
    TransformMapEntryFilter,
}

/// <summary>An expanded macro over a range: <c>range.all(x, p)</c>, <c>range.map(x, p, f)</c>, two-variable forms…</summary>
internal sealed class ComprehensionExpr(int pos, MacroKind kind, Expr range, string var1, string? var2, Expr[] bodies) : Expr(pos)
{
    public MacroKind Kind { get; } = kind;

    public Expr Range { get; } = range;

    public string Var1 { get; } = var1;

    public string? Var2 { get; } = var2;

    /// <summary>Predicate and/or transform, in source order.</summary>
    public Expr[] Bodies { get; } = bodies;
}

/// <summary><c>cel.bind(name, init, body)</c>.</summary>
internal sealed class BindExpr(int pos, string name, Expr init, Expr body) : Expr(pos)
{
    public string Name { get; } = name;

    public Expr Init { get; } = init;

    public Expr Body { get; } = body;
}
