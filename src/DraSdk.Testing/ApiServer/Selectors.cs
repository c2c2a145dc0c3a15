using System.Text;

namespace DraSdk.Testing;

/// <summary>A parsed label selector: equality-based (<c>=</c>, <c>==</c>, <c>!=</c>) and set-based (<c>in</c>, <c>notin</c>, <c>key</c>, <c>!key</c>).</summary>
internal sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                throw Bad(text, "empty requirement");
            }

            requirements.Add(ParseRequirement(p, text));
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Op switch
            {
                Op.Exists => has,
                Op.NotExists => !has,
                Op.Equals => has && r.Values[0] == value,
                Op.NotEquals => !has || r.Values[0] != value,
                Op.In => has && r.Values.Contains(value!),
                Op.NotIn => !has || !r.Values.Contains(value!),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static Requirement ParseRequirement(string p, string whole)
    {
        if (p[0] == '!')
        {
            return new Requirement(CheckKey(p[1..].Trim(), whole), Op.NotExists, []);
        }

        var ne = p.IndexOf("!=", StringComparison.Ordinal);
        if (ne > 0)
        {
            return new Requirement(CheckKey(p[..ne].Trim(), whole), Op.NotEquals, [p[(ne + 2)..].Trim()]);
        }

        var eq = p.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            var valueStart = eq + 1 < p.Length && p[eq + 1] == '=' ? eq + 2 : eq + 1;
            return new Requirement(CheckKey(p[..eq].Trim(), whole), Op.Equals, [p[valueStart..].Trim()]);
        }

        var paren = p.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0)
        {
            if (p[^1] != ')')
            {
                throw Bad(whole, "expected ')'");
            }

            var head = p[..paren].Trim();
            var space = head.LastIndexOfAny([' ', '\t']);
            if (space <= 0)
            {
                throw Bad(whole, "expected 'in' or 'notin'");
            }

            var key = CheckKey(head[..space].Trim(), whole);
            var opText = head[(space + 1)..];
            var op = opText switch
            {
                "in" => Op.In,
                "notin" => Op.NotIn,
                _ => throw Bad(whole, "unknown operator " + opText),
            };
            var values = p[(paren + 1)..^1].Split(',', StringSplitOptions.TrimEntries).Where(v => v.Length > 0).ToArray();
            return new Requirement(key, op, values);
        }

        return new Requirement(CheckKey(p, whole), Op.Exists, []);
    }

    private static string CheckKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(char.IsWhiteSpace))
        {
            throw Bad(whole, "invalid label key \"" + key + "\"");
        }

        return key;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static ApiError Bad(string selector, string why) =>
        ApiError.BadRequest($"unable to parse requirement: {why} in label selector \"{selector}\"");

    private enum Op
    {
        Exists,
        NotExists,
        Equals,
        NotEquals,
        In,
        NotIn,
    }

    private sealed record Requirement(string Key, Op Op, string[] Values);
}

/// <summary>
/// A parsed field selector: <c>path=value</c>, <c>path==value</c>, <c>path!=value</c>, joined by commas.
/// Any dotted path into the object is accepted (the real server accepts only a per-resource list).
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string Path, bool Negate, string Value)> _requirements;

    private FieldSelector(List<(string Path, bool Negate, string Value)> requirements) => _requirements = requirements;

    public static FieldSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var requirements = new List<(string, bool, string)>();
        foreach (var part in SplitUnescaped(text, ','))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                continue;
            }

            int opAt;
            int opLen;
            bool negate;
            if ((opAt = p.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                (opLen, negate) = (2, true);
            }
            else if ((opAt = p.IndexOf("==", StringComparison.Ordinal)) > 0)
            {
                (opLen, negate) = (2, false);
            }
            else if ((opAt = p.IndexOf('=', StringComparison.Ordinal)) > 0)
            {
                (opLen, negate) = (1, false);
            }
            else
            {
                throw ApiError.BadRequest($"invalid field selector: '{p}' is not a valid field selector: a valid field selector must be of the form key=value, key==value or key!=value");
            }

            requirements.Add((p[..opAt].Trim(), negate, Unescape(p[(opAt + opLen)..].Trim())));
        }

        return requirements.Count == 0 ? null : new FieldSelector(requirements);
    }

    public bool Matches(StoredObject obj)
    {
        foreach (var (path, negate, value) in _requirements)
        {
            var actual = obj.FieldValue(path);
            if ((actual == value) == negate)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }

            sb.Append(value[i]);
        }

        return sb.ToString();
    }
}

/// <summary>Label and field selectors together.</summary>
internal sealed record Selectors(LabelSelector? Labels, FieldSelector? Fields)
{
    public bool IsEmpty => Labels is null && Fields is null;

    public bool Matches(StoredObject obj) =>
        (Labels is null || Labels.Matches(obj.Labels)) && (Fields is null || Fields.Matches(obj));
}
