using System.Globalization;
using System.Text;

namespace DraSdk.Cel.Internal;

/// <summary>Code-point string helpers: CEL indexes strings by Unicode code point, not UTF-16 unit.</summary>
internal static class Strings
{
    public static bool IsBmp(string s) => !s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF');

    public static int Length(string s) => IsBmp(s) ? s.Length : s.EnumerateRunes().Count();

    public static int[] CodePoints(string s)
    {
        var list = new List<int>(s.Length);
        foreach (Rune r in s.EnumerateRunes())
        {
            list.Add(r.Value);
        }

        return [.. list];
    }

    public static string FromCodePoints(int[] cps, int start, int end)
    {
        var sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++)
        {
            sb.Append(char.ConvertFromUtf32(cps[i]));
        }

        return sb.ToString();
    }

    /// <summary>Code-point index of a UTF-16 index.</summary>
    public static int ToCodePointIndex(string s, int utf16Index) => IsBmp(s) ? utf16Index : Length(s[..utf16Index]);

    /// <summary>UTF-16 index of a code-point index (which must be within 0..Length).</summary>
    public static int ToUtf16Index(string s, int cpIndex)
    {
        if (IsBmp(s))
        {
            return cpIndex;
        }

        int i = 0;
        for (int k = 0; k < cpIndex; k++)
        {
            i += char.IsSurrogatePair(s, i) ? 2 : 1;
        }

        return i;
    }

    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (Rune r in s.EnumerateRunes())
        {
            switch (r.Value)
            {
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                default:
                    if (r.Value < 0x20 || r.Value == 0x7F)
                    {
                        sb.Append("\\x").Append(r.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(r.ToString());
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}

internal sealed partial class Library
{
    private void RegisterStrings()
    {
        M1("charAt", Str, Int, Str, static (ref EvalState s, Value a, Value b) =>
        {
            string str = a.AsString;
            long i = b.AsInt;
            int len = Strings.Length(str);
            if (i < 0 || i > len)
            {
                return Value.Error($"index out of range: {i}");
            }

            if (i == len)
            {
                return Value.String("");
            }

            int u = Strings.ToUtf16Index(str, (int)i);
            return Value.String(char.IsSurrogatePair(str, u) ? str.Substring(u, 2) : str.Substring(u, 1));
        });
        M1("indexOf", Str, Str, Int, static (ref EvalState s, Value a, Value b) => IndexOf(ref s, a.AsString, b.AsString, 0));
        M2("indexOf", Str, Str, Int, Int, static (ref EvalState s, Value a, Value b, Value c) => IndexOf(ref s, a.AsString, b.AsString, c.AsInt));
        M1("lastIndexOf", Str, Str, Int, static (ref EvalState s, Value a, Value b) => LastIndexOf(ref s, a.AsString, b.AsString, null));
        M2("lastIndexOf", Str, Str, Int, Int, static (ref EvalState s, Value a, Value b, Value c) => LastIndexOf(ref s, a.AsString, b.AsString, c.AsInt));
        M0("lowerAscii", Str, Str, static (ref EvalState s, Value a) =>
        {
            s.Charge(a.AsString.Length / 10);
            return Value.String(MapAscii(a.AsString, upper: false));
        });
        M0("upperAscii", Str, Str, static (ref EvalState s, Value a) =>
        {
            s.Charge(a.AsString.Length / 10);
            return Value.String(MapAscii(a.AsString, upper: true));
        });
        M2("replace", Str, Str, Str, Str, static (ref EvalState s, Value a, Value b, Value c) => Replace(ref s, a.AsString, b.AsString, c.AsString, -1));
        M3("replace", Str, Str, Str, Int, Str, static (ref EvalState s, Value[] v) => Replace(ref s, v[0].AsString, v[1].AsString, v[2].AsString, v[3].AsInt));
        M1("split", Str, Str, CelType.ListOf(Str), static (ref EvalState s, Value a, Value b) => Split(ref s, a.AsString, b.AsString, -1));
        M2("split", Str, Str, Int, CelType.ListOf(Str), static (ref EvalState s, Value a, Value b, Value c) => Split(ref s, a.AsString, b.AsString, c.AsInt));
        M1("substring", Str, Int, Str, static (ref EvalState s, Value a, Value b) => Substring(a.AsString, b.AsInt, null));
        M2("substring", Str, Int, Int, Str, static (ref EvalState s, Value a, Value b, Value c) => Substring(a.AsString, b.AsInt, c.AsInt));
        M0("trim", Str, Str, static (ref EvalState s, Value a) => Value.String(a.AsString.Trim()));
        M0("join", CelType.ListOf(Str), Str, static (ref EvalState s, Value a) => Join(ref s, a, ""));
        M1("join", CelType.ListOf(Str), Str, Str, static (ref EvalState s, Value a, Value b) => Join(ref s, a, b.AsString));
        G1("strings.quote", Str, Str, static (ref EvalState s, Value a) =>
        {
            s.Charge(a.AsString.Length / 10);
            return Value.String(Strings.Quote(a.AsString));
        });
        M1("format", Str, ListDyn, Str, static (ref EvalState s, Value a, Value b) => Formatter.Format(ref s, a.AsString, b.AsList.Items));
    }

    private static string MapAscii(string s, bool upper)
    {
        return string.Create(s.Length, (s, upper), static (span, st) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                char c = st.s[i];
                span[i] = st.upper ? (c is >= 'a' and <= 'z' ? (char)(c - 32) : c) : (c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
            }
        });
    }

    private static Value IndexOf(ref EvalState s, string str, string sub, long start)
    {
        s.Charge(str.Length / 10);
        int len = Strings.Length(str);
        if (start < 0 || start > len)
        {
            return Value.Error($"index out of range: {start}");
        }

        int u = str.IndexOf(sub, Strings.ToUtf16Index(str, (int)start), StringComparison.Ordinal);
        return Value.Int(u < 0 ? -1 : Strings.ToCodePointIndex(str, u));
    }

    private static Value LastIndexOf(ref EvalState s, string str, string sub, long? last)
    {
        s.Charge(str.Length / 10);
        int len = Strings.Length(str);
        long lastIndex = last ?? len;
        if (lastIndex < 0 || lastIndex > len)
        {
            return Value.Error($"index out of range: {lastIndex}");
        }

        if (sub.Length == 0)
        {
            return Value.Int(lastIndex);
        }

        // Latest match starting at or before lastIndex.
        int u = Strings.ToUtf16Index(str, (int)lastIndex);
        int searchEnd = Math.Min(str.Length, u + sub.Length);
        int found = str[..searchEnd].LastIndexOf(sub, StringComparison.Ordinal);
        return Value.Int(found < 0 ? -1 : Strings.ToCodePointIndex(str, found));
    }

    private static Value Replace(ref EvalState s, string str, string old, string rep, long n)
    {
        s.Charge((str.Length + rep.Length) / 10);
        if (n == 0)
        {
            return Value.String(str);
        }

        if (n < 0)
        {
            if (old.Length == 0)
            {
                n = long.MaxValue;
            }
            else
            {
                s.Charge((long)str.Length * Math.Max(rep.Length, 1) / 10);
                return Value.String(str.Replace(old, rep, StringComparison.Ordinal));
            }
        }

        var sb = new StringBuilder();
        int pos = 0;
        long count = 0;
        if (old.Length == 0)
        {
            // Go semantics: insert rep before every code point and at the end.
            var runes = str.EnumerateRunes().ToArray();
            for (int i = 0; i <= runes.Length; i++)
            {
                if (count < n)
                {
                    sb.Append(rep);
                    count++;
                    s.Charge(rep.Length / 10);
                }

                if (i < runes.Length)
                {
                    sb.Append(runes[i].ToString());
                }
            }

            return Value.String(sb.ToString());
        }

        while (count < n)
        {
            int i = str.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0)
            {
                break;
            }

            sb.Append(str, pos, i - pos).Append(rep);
            s.Charge(rep.Length / 10);
            pos = i + old.Length;
            count++;
        }

        sb.Append(str, pos, str.Length - pos);
        return Value.String(sb.ToString());
    }

    private static Value Split(ref EvalState s, string str, string sep, long n)
    {
        s.Charge(1 + (str.Length / 10));
        if (n == 0)
        {
            return Value.List([]);
        }

        var parts = new List<Value>();
        if (sep.Length == 0)
        {
            foreach (Rune r in str.EnumerateRunes())
            {
                if (n > 0 && parts.Count == n - 1)
                {
                    break;
                }

                parts.Add(Value.String(r.ToString()));
            }

            int consumed = 0;
            foreach (var p in parts)
            {
                consumed += p.AsString.Length;
            }

            if (n > 0 && consumed < str.Length)
            {
                parts.Add(Value.String(str[consumed..]));
            }

            return Value.List([.. parts]);
        }

        int pos = 0;
        while (n < 0 || parts.Count < n - 1)
        {
            int i = str.IndexOf(sep, pos, StringComparison.Ordinal);
            if (i < 0)
            {
                break;
            }

            parts.Add(Value.String(str[pos..i]));
            pos = i + sep.Length;
        }

        parts.Add(Value.String(str[pos..]));
        return Value.List([.. parts]);
    }

    private static Value Substring(string str, long start, long? end)
    {
        int len = Strings.Length(str);
        long e = end ?? len;
        if (start < 0 || start > len)
        {
            return Value.Error($"index out of range: {start}");
        }

        if (e < 0 || e > len)
        {
            return Value.Error($"index out of range: {e}");
        }

        if (start > e)
        {
            return Value.Error($"invalid substring range. start: {start}, end: {e}");
        }

        int us = Strings.ToUtf16Index(str, (int)start);
        int ue = Strings.ToUtf16Index(str, (int)e);
        return Value.String(str[us..ue]);
    }

    private static Value Join(ref EvalState s, Value list, string sep)
    {
        var items = list.AsList.Items;
        var sb = new StringBuilder();
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Kind != ValueKind.String)
            {
                return Value.NoSuchOverload("join");
            }

            if (i > 0)
            {
                sb.Append(sep);
            }

            sb.Append(items[i].AsString);
        }

        s.Charge(sb.Length / 10);
        return Value.String(sb.ToString());
    }
}
