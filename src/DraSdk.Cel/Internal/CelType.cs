namespace DraSdk.Cel.Internal;

internal enum TypeKind : byte
{
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    List,
    Map,
    Type,
    Quantity,
    Semver,
    Optional,
    Device,
    Url,
    IP,
    Cidr,
    Error,
}

/// <summary>A static CEL type for the checker, and the value of <c>type(x)</c>.</summary>
internal sealed class CelType : IEquatable<CelType>
{
    private CelType(TypeKind kind, CelType? key = null, CelType? elem = null)
    {
        Kind = kind;
        Key = key;
        Elem = elem;
    }

    public TypeKind Kind { get; }

    /// <summary>Map key type.</summary>
    public CelType? Key { get; }

    /// <summary>List element, map value or optional value type.</summary>
    public CelType? Elem { get; }

    public static readonly CelType Dyn = new(TypeKind.Dyn);
    public static readonly CelType Null = new(TypeKind.Null);
    public static readonly CelType Bool = new(TypeKind.Bool);
    public static readonly CelType Int = new(TypeKind.Int);
    public static readonly CelType Uint = new(TypeKind.Uint);
    public static readonly CelType Double = new(TypeKind.Double);
    public static readonly CelType String = new(TypeKind.String);
    public static readonly CelType Bytes = new(TypeKind.Bytes);
    public static readonly CelType TypeType = new(TypeKind.Type);
    public static readonly CelType Quantity = new(TypeKind.Quantity);
    public static readonly CelType Semver = new(TypeKind.Semver);
    public static readonly CelType Device = new(TypeKind.Device);
    public static readonly CelType Url = new(TypeKind.Url);
    public static readonly CelType IP = new(TypeKind.IP);
    public static readonly CelType Cidr = new(TypeKind.Cidr);
    public static readonly CelType Error = new(TypeKind.Error);
    public static readonly CelType ListDyn = new(TypeKind.List, null, Dyn);
    public static readonly CelType MapDyn = new(TypeKind.Map, Dyn, Dyn);

    public static CelType ListOf(CelType elem) => elem.Kind == TypeKind.Dyn ? ListDyn : new(TypeKind.List, null, elem);

    public static CelType MapOf(CelType key, CelType value) =>
        key.Kind == TypeKind.Dyn && value.Kind == TypeKind.Dyn ? MapDyn : new(TypeKind.Map, key, value);

    public static CelType OptionalOf(CelType elem) => new(TypeKind.Optional, null, elem);

    public bool IsDyn => Kind is TypeKind.Dyn or TypeKind.Error;

    /// <summary>Whether a value of type <paramref name="arg"/> may be passed where <paramref name="param"/> is expected.</summary>
    public static bool Assignable(CelType param, CelType arg)
    {
        if (param.IsDyn || arg.IsDyn)
        {
            return true;
        }

        if (param.Kind != arg.Kind)
        {
            return false;
        }

        return param.Kind switch
        {
            TypeKind.List or TypeKind.Optional => Assignable(param.Elem!, arg.Elem!),
            TypeKind.Map => Assignable(param.Key!, arg.Key!) && Assignable(param.Elem!, arg.Elem!),
            _ => true,
        };
    }

    /// <summary>The common type of two branches or elements: equal types stay, otherwise dyn.</summary>
    public static CelType Join(CelType a, CelType b)
    {
        if (a.Equals(b))
        {
            return a;
        }

        if (a.Kind == b.Kind)
        {
            return a.Kind switch
            {
                TypeKind.List => ListOf(Join(a.Elem!, b.Elem!)),
                TypeKind.Map => MapOf(Join(a.Key!, b.Key!), Join(a.Elem!, b.Elem!)),
                TypeKind.Optional => OptionalOf(Join(a.Elem!, b.Elem!)),
                _ => a,
            };
        }

        return Dyn;
    }

    /// <summary>Whether a runtime value fits this type (shallow: element types are not checked).</summary>
    public bool Matches(in Value v) => Kind switch
    {
        TypeKind.Dyn or TypeKind.Error => true,
        TypeKind.Null => v.Kind == ValueKind.Null,
        TypeKind.Bool => v.Kind == ValueKind.Bool,
        TypeKind.Int => v.Kind == ValueKind.Int,
        TypeKind.Uint => v.Kind == ValueKind.Uint,
        TypeKind.Double => v.Kind == ValueKind.Double,
        TypeKind.String => v.Kind == ValueKind.String,
        TypeKind.Bytes => v.Kind == ValueKind.Bytes,
        TypeKind.List => v.Kind == ValueKind.List,
        TypeKind.Map => v.Kind == ValueKind.Map,
        TypeKind.Type => v.Kind == ValueKind.Type,
        TypeKind.Quantity => v.Kind == ValueKind.Quantity,
        TypeKind.Semver => v.Kind == ValueKind.Semver,
        TypeKind.Optional => v.Kind == ValueKind.Optional,
        TypeKind.Device => v.Kind == ValueKind.Device,
        TypeKind.Url => v.Kind == ValueKind.Url,
        TypeKind.IP => v.Kind == ValueKind.IP,
        TypeKind.Cidr => v.Kind == ValueKind.Cidr,
        _ => false,
    };

    public bool Equals(CelType? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other.Kind != Kind)
        {
            return false;
        }

        return Equals(Key, other.Key) && Equals(Elem, other.Elem);
    }

    private static bool Equals(CelType? a, CelType? b) => a is null ? b is null : a.Equals(b);

    public override bool Equals(object? obj) => obj is CelType t && Equals(t);

    public override int GetHashCode() => HashCode.Combine(Kind, Key?.GetHashCode() ?? 0, Elem?.GetHashCode() ?? 0);

    public override string ToString() => Kind switch
    {
        TypeKind.Dyn => "dyn",
        TypeKind.Null => "null_type",
        TypeKind.Bool => "bool",
        TypeKind.Int => "int",
        TypeKind.Uint => "uint",
        TypeKind.Double => "double",
        TypeKind.String => "string",
        TypeKind.Bytes => "bytes",
        TypeKind.List => $"list({Elem})",
        TypeKind.Map => $"map({Key}, {Elem})",
        TypeKind.Type => "type",
        TypeKind.Quantity => "kubernetes.Quantity",
        TypeKind.Semver => "kubernetes.Semver",
        TypeKind.Optional => $"optional_type({Elem})",
        TypeKind.Device => "kubernetes.DRADevice",
        TypeKind.Url => "kubernetes.URL",
        TypeKind.IP => "net.IP",
        TypeKind.Cidr => "net.CIDR",
        _ => "*error*",
    };

    /// <summary>The name <c>type(x)</c> compares by: list and map types compare without their parameters.</summary>
    public string RuntimeName => Kind switch
    {
        TypeKind.List => "list",
        TypeKind.Map => "map",
        TypeKind.Optional => "optional_type",
        _ => ToString(),
    };
}
