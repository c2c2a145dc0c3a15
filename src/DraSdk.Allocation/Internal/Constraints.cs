using System.Globalization;
using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>
/// A claim constraint. Constraints are monotonic: once a device cannot be added, adding more
/// devices does not help. Devices are added and removed in LIFO order during the search.
/// </summary>
internal abstract class Constraint
{
    private readonly HashSet<string> _requests;

    protected Constraint(IEnumerable<string>? requests, string attribute, bool listTypes)
    {
        _requests = new HashSet<string>(requests ?? [], StringComparer.Ordinal);
        Attribute = attribute;
        ListTypes = listTypes;
    }

    public string Attribute { get; }

    protected bool ListTypes { get; }

    public bool AppliesTo(string request, string? parent)
    {
        if (_requests.Count == 0)
        {
            return true;
        }
        return parent is null
            ? _requests.Contains(request)
            : _requests.Contains(parent) || _requests.Contains($"{parent}/{request}");
    }

    /// <summary>Adds the device if it satisfies the constraint.</summary>
    public abstract bool Add(string request, string? parent, V1Device device, string driver);

    /// <summary>Removes the device added last for this request.</summary>
    public abstract void Remove(string request, string? parent);

    /// <summary>
    /// Looks up a fully qualified attribute: first under its full name, then, when the domain is
    /// the driver's, under the bare ID.
    /// </summary>
    public static V1DeviceAttribute? Lookup(V1Device device, string driver, string qualifiedName)
    {
        var attributes = device.Attributes;
        if (attributes is null)
        {
            return null;
        }
        if (attributes.TryGetValue(qualifiedName, out var attribute))
        {
            return attribute;
        }
        var slash = qualifiedName.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !string.Equals(qualifiedName[..slash], driver, StringComparison.Ordinal))
        {
            return null;
        }
        return attributes.TryGetValue(qualifiedName[(slash + 1)..], out attribute) ? attribute : null;
    }

    /// <summary>
    /// The values of an attribute as typed tokens; a scalar gives one. Null when the type is
    /// unknown, which includes lists while list-type attributes are switched off.
    /// </summary>
    public static HashSet<string>? Tokens(V1DeviceAttribute attribute, bool listTypes)
    {
        if (attribute.StringValue is { } s)
        {
            return ["s:" + s];
        }
        if (attribute.IntValue is { } i)
        {
            return ["i:" + i.ToString(CultureInfo.InvariantCulture)];
        }
        if (attribute.BoolValue is { } b)
        {
            return [b ? "b:true" : "b:false"];
        }
        if (attribute.Version is { } v)
        {
            return ["v:" + v];
        }
        if (!listTypes)
        {
            return null;
        }
        if (attribute.Strings is { Count: > 0 } strings)
        {
            return strings.Select(x => "s:" + x).ToHashSet(StringComparer.Ordinal);
        }
        if (attribute.Ints is { Count: > 0 } ints)
        {
            return ints.Select(x => "i:" + x?.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        }
        if (attribute.Bools is { Count: > 0 } bools)
        {
            return bools.Select(x => x == true ? "b:true" : "b:false").ToHashSet(StringComparer.Ordinal);
        }
        if (attribute.Versions is { Count: > 0 } versions)
        {
            return versions.Select(x => "v:" + x).ToHashSet(StringComparer.Ordinal);
        }
        return null;
    }
}

/// <summary>
/// <c>matchAttribute</c>: every device has the attribute and all share the same value; with list
/// types, all value sets share at least one element.
/// </summary>
internal sealed class MatchAttributeConstraint(IEnumerable<string>? requests, string attribute, bool listTypes)
    : Constraint(requests, attribute, listTypes)
{
    // The common values so far, one entry per added device; null marks an unknown type.
    private readonly Stack<HashSet<string>?> _common = new();

    public override bool Add(string request, string? parent, V1Device device, string driver)
    {
        if (!AppliesTo(request, parent))
        {
            return true;
        }
        if (Lookup(device, driver, Attribute) is not { } attribute)
        {
            return false;
        }
        var tokens = Tokens(attribute, ListTypes);
        if (_common.Count == 0)
        {
            _common.Push(tokens);
            return true;
        }
        var current = _common.Peek();
        if (current is null || tokens is null)
        {
            return false;
        }
        var common = new HashSet<string>(current, StringComparer.Ordinal);
        common.IntersectWith(tokens);
        if (common.Count == 0)
        {
            return false;
        }
        _common.Push(common);
        return true;
    }

    public override void Remove(string request, string? parent)
    {
        if (AppliesTo(request, parent))
        {
            _common.Pop();
        }
    }
}

/// <summary>
/// <c>distinctAttribute</c>: every device has the attribute and no two share a value; with list
/// types, no two value sets share an element.
/// </summary>
internal sealed class DistinctAttributeConstraint(IEnumerable<string>? requests, string attribute, bool listTypes)
    : Constraint(requests, attribute, listTypes)
{
    private readonly Stack<HashSet<string>?> _added = new();
    private readonly Dictionary<string, int> _used = new(StringComparer.Ordinal);

    public override bool Add(string request, string? parent, V1Device device, string driver)
    {
        if (!AppliesTo(request, parent))
        {
            return true;
        }
        if (Lookup(device, driver, Attribute) is not { } attribute)
        {
            return false;
        }
        var tokens = Tokens(attribute, ListTypes);
        if (_added.Count > 0 && (tokens is null || tokens.Any(_used.ContainsKey)))
        {
            return false;
        }
        _added.Push(tokens);
        foreach (var token in tokens ?? [])
        {
            _used[token] = _used.GetValueOrDefault(token) + 1;
        }
        return true;
    }

    public override void Remove(string request, string? parent)
    {
        if (!AppliesTo(request, parent))
        {
            return;
        }
        foreach (var token in _added.Pop() ?? [])
        {
            if (--_used[token] == 0)
            {
                _used.Remove(token);
            }
        }
    }
}
