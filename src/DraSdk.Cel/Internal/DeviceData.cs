using System.Runtime.CompilerServices;
using k8s.Models;

namespace DraSdk.Cel.Internal;

/// <summary>
/// A device's attributes and capacities converted to CEL values once (per list-attribute setting): a flat table keyed
/// by "domain/id" with precomputed hashes for the compiled fast paths, and nested maps built on first generic use.
/// </summary>
internal sealed class DeviceData
{
    private readonly CelDevice _device;
    private StringMapValue? _attributesMap;
    private StringMapValue? _capacityMap;

    public DeviceData(CelDevice device, bool listTypeAttributes)
    {
        _device = device;
        var attrs = new FlatTable(device.Attributes?.Count ?? 0);
        if (device.Attributes is not null)
        {
            foreach (var (name, attr) in device.Attributes)
            {
                var (domain, id) = Split(name, device.Driver);
                Value v = Convert(name, attr, listTypeAttributes);
                if (v.IsError)
                {
                    Error ??= v.ErrorMessage;
                    continue;
                }

                attrs.Add(domain, id, v);
            }
        }

        var caps = new FlatTable(device.Capacity?.Count ?? 0);
        if (device.Capacity is not null)
        {
            foreach (var (name, cap) in device.Capacity)
            {
                var (domain, id) = Split(name, device.Driver);
                if (cap?.Value is null)
                {
                    Error ??= $"capacity {name}: no value";
                    continue;
                }

                try
                {
                    caps.Add(domain, id, Value.Quantity(new QuantityValue(cap.Value.ToDecimal(), cap.Value.ToString())));
                }
                catch (Exception e) when (e is OverflowException or FormatException or ArgumentException)
                {
                    Error ??= $"capacity {name}: {e.Message}";
                }
            }
        }

        Attributes = attrs;
        Capacity = caps;
    }

    /// <summary>The first attribute or capacity that cannot be converted; every evaluation fails with it.</summary>
    public string? Error { get; }

    public FlatTable Attributes { get; }

    public FlatTable Capacity { get; }

    public StringMapValue AttributesMap => _attributesMap ?? Interlocked.CompareExchange(ref _attributesMap, Attributes.ToNestedMap(), null) ?? _attributesMap;

    public StringMapValue CapacityMap => _capacityMap ?? Interlocked.CompareExchange(ref _capacityMap, Capacity.ToNestedMap(), null) ?? _capacityMap;

    public CelDevice Device => _device;

    public static (string Domain, string Id) Split(string name, string driver)
    {
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (driver, name) : (name[..slash], name[(slash + 1)..]);
    }

    private static Value Convert(string name, V1DeviceAttribute? attr, bool lists)
    {
        if (attr is null)
        {
            return Value.Error($"attribute {name}: unsupported attribute value");
        }

        if (lists)
        {
            if (attr.Ints is { } ints)
            {
                var items = new Value[ints.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = Value.Int(ints[i] ?? 0);
                }

                return Value.List(items);
            }

            if (attr.Bools is { } bools)
            {
                var items = new Value[bools.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = Value.Bool(bools[i] ?? false);
                }

                return Value.List(items);
            }

            if (attr.Strings is { } strings)
            {
                var items = new Value[strings.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = Value.String(strings[i] ?? "");
                }

                return Value.List(items);
            }

            if (attr.Versions is { } versions)
            {
                var items = new Value[versions.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    if (!SemverValue.TryParse(versions[i] ?? "", out var sv, out string? err))
                    {
                        return Value.Error($"attribute {name}: parse semantic version: {err}");
                    }

                    items[i] = Value.Semver(sv!);
                }

                return Value.List(items);
            }
        }

        if (attr.IntValue is { } iv)
        {
            return Value.Int(iv);
        }

        if (attr.BoolValue is { } bv)
        {
            return Value.Bool(bv);
        }

        if (attr.StringValue is { } sv2)
        {
            return Value.String(sv2);
        }

        if (attr.Version is { } ver)
        {
            return SemverValue.TryParse(ver, out var v, out string? err)
                ? Value.Semver(v!)
                : Value.Error($"attribute {name}: parse semantic version: {err}");
        }

        return Value.Error($"attribute {name}: unsupported attribute value");
    }
}

/// <summary>A small hash table keyed by "domain/id" whose lookups take a hash computed when the selector compiled.</summary>
internal sealed class FlatTable
{
    private readonly int[] _buckets;
    private Entry[] _entries;
    private int _count;

    public FlatTable(int capacity)
    {
        int size = 4;
        while (size < capacity * 2)
        {
            size <<= 1;
        }

        _buckets = new int[size];
        _entries = new Entry[Math.Max(capacity, 1)];
    }

    public int Count => _count;

    /// <summary>The interned "domain/id" key, so that lookups from compiled selectors match by reference.</summary>
    public static string Key(string domain, string id) => string.Intern(string.Concat(domain, "/", id));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hash(string key) => key.GetHashCode(StringComparison.Ordinal);

    public void Add(string domain, string id, Value value)
    {
        string key = Key(domain, id);
        int hash = Hash(key);
        if (TryGet(key, hash, out _))
        {
            return; // "id" and "driver/id" name the same attribute; the first one wins
        }

        int b = hash & (_buckets.Length - 1);
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        _entries[_count++] = new Entry(key, hash, domain, id, value, _buckets[b] - 1);
        _buckets[b] = _count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(string key, int hash, out Value value)
    {
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref readonly Entry e = ref _entries[i];
            if (e.Hash == hash && (ReferenceEquals(e.Key, key) || string.Equals(e.Key, key, StringComparison.Ordinal)))
            {
                value = e.Value;
                return true;
            }

            i = e.Next;
        }

        value = default;
        return false;
    }

    public StringMapValue ToNestedMap()
    {
        var outer = new Dictionary<string, Dictionary<string, Value>>(StringComparer.Ordinal);
        for (int i = 0; i < _count; i++)
        {
            ref readonly Entry e = ref _entries[i];
            if (!outer.TryGetValue(e.Domain, out var inner))
            {
                outer[e.Domain] = inner = new Dictionary<string, Value>(StringComparer.Ordinal);
            }

            inner[e.Id] = e.Value;
        }

        var result = new Dictionary<string, Value>(outer.Count, StringComparer.Ordinal);
        foreach (var (domain, inner) in outer)
        {
            result[domain] = Value.Map(new StringMapValue(inner));
        }

        // An unknown domain reads as an empty map.
        return new StringMapValue(result, Value.Map(StringMapValue.Empty));
    }

    private readonly record struct Entry(string Key, int Hash, string Domain, string Id, Value Value, int Next);
}
