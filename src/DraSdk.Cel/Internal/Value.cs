using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace DraSdk.Cel.Internal;

internal enum ValueKind : byte
{
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    List,
    Map,
    Quantity,
    Semver,
    Type,
    Optional,
    Error,
    Device,
    Url,
    IP,
    Cidr,
}

/// <summary>A CEL value: a tagged union without boxing for scalars. Errors are values too.</summary>
internal readonly struct Value
{
    public readonly object? Ref;
    public readonly long Bits;
    public readonly ValueKind Kind;

    public Value(ValueKind kind, object reference)
        : this(kind, 0, reference)
    {
    }

    private Value(ValueKind kind, long bits, object? reference)
    {
        Kind = kind;
        Bits = bits;
        Ref = reference;
    }

    public static readonly Value Null = new(ValueKind.Null, 0, null);
    public static readonly Value True = new(ValueKind.Bool, 1, null);
    public static readonly Value False = new(ValueKind.Bool, 0, null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Value Bool(bool b) => b ? True : False;

    public static Value Int(long v) => new(ValueKind.Int, v, null);

    public static Value Uint(ulong v) => new(ValueKind.Uint, unchecked((long)v), null);

    public static Value Double(double v) => new(ValueKind.Double, BitConverter.DoubleToInt64Bits(v), null);

    public static Value String(string v) => new(ValueKind.String, 0, v);

    public static Value Bytes(byte[] v) => new(ValueKind.Bytes, 0, v);

    public static Value List(ListValue v) => new(ValueKind.List, 0, v);

    public static Value List(Value[] items) => new(ValueKind.List, 0, new ListValue(items));

    public static Value Map(MapValue v) => new(ValueKind.Map, 0, v);

    public static Value Quantity(QuantityValue v) => new(ValueKind.Quantity, 0, v);

    public static Value Semver(SemverValue v) => new(ValueKind.Semver, 0, v);

    public static Value Type(CelType t) => new(ValueKind.Type, 0, t);

    public static Value Optional(OptionalValue v) => new(ValueKind.Optional, 0, v);

    public static Value Error(string message) => new(ValueKind.Error, 0, new ErrorValue(message));

    public static Value Device(CelDevice d) => new(ValueKind.Device, 0, d);

    public static Value IP(System.Net.IPAddress a) => new(ValueKind.IP, 0, a);

    public static Value Cidr(CidrValue c) => new(ValueKind.Cidr, 0, c);

    public bool IsError
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Kind == ValueKind.Error;
    }

    public bool AsBool => Bits != 0;

    public long AsInt => Bits;

    public ulong AsUint => unchecked((ulong)Bits);

    public double AsDouble => BitConverter.Int64BitsToDouble(Bits);

    public string AsString => (string)Ref!;

    public byte[] AsBytes => (byte[])Ref!;

    public ListValue AsList => (ListValue)Ref!;

    public MapValue AsMap => (MapValue)Ref!;

    public QuantityValue AsQuantity => (QuantityValue)Ref!;

    public SemverValue AsSemver => (SemverValue)Ref!;

    public OptionalValue AsOptional => (OptionalValue)Ref!;

    public CelType AsType => (CelType)Ref!;

    public string ErrorMessage => ((ErrorValue)Ref!).Message;

    public static Value NoSuchOverload(string function) => Error($"no such overload: {function}");

    public string TypeName() => Kind switch
    {
        ValueKind.Null => "null_type",
        ValueKind.Bool => "bool",
        ValueKind.Int => "int",
        ValueKind.Uint => "uint",
        ValueKind.Double => "double",
        ValueKind.String => "string",
        ValueKind.Bytes => "bytes",
        ValueKind.List => "list",
        ValueKind.Map => "map",
        ValueKind.Quantity => "kubernetes.Quantity",
        ValueKind.Semver => "kubernetes.Semver",
        ValueKind.Type => "type",
        ValueKind.Optional => "optional_type",
        ValueKind.Error => "error",
        ValueKind.Device => "kubernetes.DRADevice",
        ValueKind.Url => "kubernetes.URL",
        ValueKind.IP => "net.IP",
        ValueKind.Cidr => "net.CIDR",
        _ => "unknown",
    };

    public CelType RuntimeType() => Kind switch
    {
        ValueKind.Null => CelType.Null,
        ValueKind.Bool => CelType.Bool,
        ValueKind.Int => CelType.Int,
        ValueKind.Uint => CelType.Uint,
        ValueKind.Double => CelType.Double,
        ValueKind.String => CelType.String,
        ValueKind.Bytes => CelType.Bytes,
        ValueKind.List => CelType.ListOf(CelType.Dyn),
        ValueKind.Map => CelType.MapOf(CelType.Dyn, CelType.Dyn),
        ValueKind.Quantity => CelType.Quantity,
        ValueKind.Semver => CelType.Semver,
        ValueKind.Type => CelType.TypeType,
        ValueKind.Optional => CelType.OptionalOf(CelType.Dyn),
        ValueKind.Device => CelType.Device,
        ValueKind.Url => CelType.Url,
        ValueKind.IP => CelType.IP,
        ValueKind.Cidr => CelType.Cidr,
        _ => CelType.Dyn,
    };

    /// <summary>A rough size for cost: characters, bytes or elements.</summary>
    public long Size() => Kind switch
    {
        ValueKind.String => AsString.Length,
        ValueKind.Bytes => AsBytes.Length,
        ValueKind.List => AsList.Count,
        ValueKind.Map => AsMap.Count,
        _ => 1,
    };

    public override string ToString() => Format(this);

    /// <summary>The value as it would be written in CEL (for messages and %s).</summary>
    public static string Format(Value v)
    {
        var sb = new StringBuilder();
        Append(sb, v, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Value v, int depth)
    {
        if (depth > 32)
        {
            sb.Append("...");
            return;
        }

        switch (v.Kind)
        {
            case ValueKind.Null: sb.Append("null"); break;
            case ValueKind.Bool: sb.Append(v.AsBool ? "true" : "false"); break;
            case ValueKind.Int: sb.Append(v.AsInt.ToString(CultureInfo.InvariantCulture)); break;
            case ValueKind.Uint: sb.Append(v.AsUint.ToString(CultureInfo.InvariantCulture)).Append('u'); break;
            case ValueKind.Double: sb.Append(FormatDouble(v.AsDouble)); break;
            case ValueKind.String: sb.Append(v.AsString); break;
            case ValueKind.Bytes: sb.Append(Encoding.UTF8.GetString(v.AsBytes)); break;
            case ValueKind.List:
                sb.Append('[');
                var items = v.AsList.Items;
                for (int i = 0; i < items.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Append(sb, items[i], depth + 1);
                }

                sb.Append(']');
                break;
            case ValueKind.Map:
                sb.Append('{');
                bool first = true;
                foreach (var (k, val) in v.AsMap.Entries())
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    Append(sb, k, depth + 1);
                    sb.Append(": ");
                    Append(sb, val, depth + 1);
                }

                sb.Append('}');
                break;
            case ValueKind.Quantity: sb.Append(v.AsQuantity.ToString()); break;
            case ValueKind.Semver: sb.Append(v.AsSemver.ToString()); break;
            case ValueKind.Type: sb.Append(v.AsType.ToString()); break;
            case ValueKind.Optional:
                var o = v.AsOptional;
                if (o.HasValue)
                {
                    sb.Append("optional.of(");
                    Append(sb, o.Value, depth + 1);
                    sb.Append(')');
                }
                else
                {
                    sb.Append("optional.none()");
                }

                break;
            case ValueKind.Error: sb.Append(v.ErrorMessage); break;
            case ValueKind.Device: sb.Append("device"); break;
            case ValueKind.Url: sb.Append(v.Ref!.ToString()); break;
            case ValueKind.IP: sb.Append(v.Ref!.ToString()); break;
            case ValueKind.Cidr: sb.Append(v.Ref!.ToString()); break;
        }
    }

    public static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(d))
        {
            return "-Inf";
        }

        if (double.IsNaN(d))
        {
            return "NaN";
        }

        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}

internal sealed class ErrorValue(string message)
{
    public string Message { get; } = message;
}

internal sealed class ListValue(Value[] items)
{
    public static readonly ListValue Empty = new([]);

    public Value[] Items { get; } = items;

    public int Count => Items.Length;
}

internal sealed class OptionalValue
{
    public static readonly OptionalValue None = new(false, Value.Null);

    private OptionalValue(bool hasValue, Value value)
    {
        HasValue = hasValue;
        Value = value;
    }

    public bool HasValue { get; }

    public Value Value { get; }

    public static OptionalValue Of(Value v) => new(true, v);
}

/// <summary>A CEL map. Keys are int, uint, bool or string values.</summary>
internal abstract class MapValue
{
    public abstract int Count { get; }

    public abstract bool TryGet(Value key, out Value value);

    public abstract IEnumerable<(Value Key, Value Value)> Entries();

    public IEnumerable<Value> Keys()
    {
        foreach (var (k, _) in Entries())
        {
            yield return k;
        }
    }
}

/// <summary>A map with string keys; optionally answers unknown keys with a default (DRA's domain maps).</summary>
internal sealed class StringMapValue(Dictionary<string, Value> entries, Value? missing = null) : MapValue
{
    public static readonly StringMapValue Empty = new(new Dictionary<string, Value>(StringComparer.Ordinal));

    public Dictionary<string, Value> Dictionary { get; } = entries;

    public Value? Missing { get; } = missing;

    public override int Count => Dictionary.Count;

    public override bool TryGet(Value key, out Value value)
    {
        if (key.Kind == ValueKind.String)
        {
            if (Dictionary.TryGetValue(key.AsString, out value))
            {
                return true;
            }

            if (Missing is { } m)
            {
                value = m;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Membership without the default (for <c>in</c>, <c>has()</c>).</summary>
    public bool ContainsKey(Value key) => key.Kind == ValueKind.String && Dictionary.ContainsKey(key.AsString);

    public override IEnumerable<(Value Key, Value Value)> Entries()
    {
        foreach (var kv in Dictionary)
        {
            yield return (Value.String(kv.Key), kv.Value);
        }
    }
}

/// <summary>A map built by a map literal or a transform macro; keeps insertion order.</summary>
internal sealed class DictMapValue : MapValue
{
    private readonly Dictionary<Value, Value> _map;
    private readonly List<Value> _order;

    public DictMapValue(int capacity)
    {
        _map = new Dictionary<Value, Value>(capacity, KeyComparer.Instance);
        _order = new List<Value>(capacity);
    }

    public override int Count => _map.Count;

    /// <summary>Adds a key; false when the key is already present.</summary>
    public bool Add(Value key, Value value)
    {
        if (!_map.TryAdd(key, value))
        {
            return false;
        }

        _order.Add(key);
        return true;
    }

    public override bool TryGet(Value key, out Value value)
    {
        if (key.Kind == ValueKind.Double)
        {
            double d = key.AsDouble;
            if (d == Math.Floor(d) && d >= long.MinValue && d < 9.2233720368547758E18)
            {
                key = Value.Int((long)d);
            }
            else if (d == Math.Floor(d) && d >= 0 && d < 1.8446744073709552E19)
            {
                key = Value.Uint((ulong)d);
            }
            else
            {
                value = default;
                return false;
            }
        }

        return _map.TryGetValue(key, out value);
    }

    public override IEnumerable<(Value Key, Value Value)> Entries()
    {
        foreach (var k in _order)
        {
            yield return (k, _map[k]);
        }
    }

    private sealed class KeyComparer : IEqualityComparer<Value>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(Value x, Value y)
        {
            if (x.Kind == y.Kind)
            {
                return x.Kind switch
                {
                    ValueKind.String => string.Equals(x.AsString, y.AsString, StringComparison.Ordinal),
                    _ => x.Bits == y.Bits,
                };
            }

            if (x.Kind == ValueKind.Int && y.Kind == ValueKind.Uint)
            {
                return x.AsInt >= 0 && (ulong)x.AsInt == y.AsUint;
            }

            if (x.Kind == ValueKind.Uint && y.Kind == ValueKind.Int)
            {
                return y.AsInt >= 0 && (ulong)y.AsInt == x.AsUint;
            }

            return false;
        }

        public int GetHashCode(Value v) => v.Kind switch
        {
            ValueKind.String => StringComparer.Ordinal.GetHashCode(v.AsString),
            ValueKind.Int or ValueKind.Uint => v.Bits.GetHashCode(),
            _ => HashCode.Combine(v.Kind, v.Bits),
        };
    }
}

internal sealed class CidrValue(System.Net.IPAddress address, int prefixLength)
{
    public System.Net.IPAddress Address { get; } = address;

    public int PrefixLength { get; } = prefixLength;

    public override string ToString() => $"{Address}/{PrefixLength}";
}
