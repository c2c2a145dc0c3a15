using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace DraSdk.Cel.Internal;

/// <summary>
/// RE2 patterns on .NET's non-backtracking engine (linear time, like RE2): RE2-only syntax is translated
/// (<c>(?P&lt;n&gt;</c>, POSIX classes, ASCII <c>\d \w \s</c>, <c>$</c> as end of text); backreferences and
/// lookaround are rejected as RE2 rejects them.
/// </summary>
internal static partial class Regexes
{
    private const int CacheLimit = 512;
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = "\\x00-\\x7F",
        ["blank"] = "\\t ",
        ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    public static bool TryGet(string pattern, out Regex? regex, out string? error)
    {
        if (Cache.TryGetValue(pattern, out regex))
        {
            error = null;
            return true;
        }

        try
        {
            regex = new Regex(Translate(pattern), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            error = $"invalid regular expression '{pattern}': {e.Message}";
            regex = null;
            return false;
        }

        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        Cache[pattern] = regex;
        error = null;
        return true;
    }

    internal static string Translate(string p)
    {
        var sb = new StringBuilder(p.Length + 8);
        bool multiline = MultilineFlag().IsMatch(p);
        bool inClass = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char n = p[++i];
                switch (n)
                {
                    case 'd': sb.Append(inClass ? "0-9" : "[0-9]"); break;
                    case 'D': sb.Append(inClass ? "\\D" : "[^0-9]"); break;
                    case 'w': sb.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]"); break;
                    case 'W': sb.Append(inClass ? "\\W" : "[^0-9A-Za-z_]"); break;
                    case 's': sb.Append(inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"); break;
                    case 'S': sb.Append(inClass ? "\\S" : "[^\\t\\n\\f\\r ]"); break;
                    case 'p' or 'P' when i + 1 < p.Length && p[i + 1] != '{':
                        sb.Append('\\').Append(n).Append('{').Append(p[++i]).Append('}');
                        break;
                    case 'Q':
                        {
                            int end = p.IndexOf("\\E", i + 1, StringComparison.Ordinal);
                            string lit = end < 0 ? p[(i + 1)..] : p[(i + 1)..end];
                            sb.Append(Regex.Escape(lit));
                            i = end < 0 ? p.Length : end + 1;
                            break;
                        }

                    case >= '1' and <= '9' when !inClass:
                        throw new ArgumentException("invalid escape sequence: backreferences are not supported");
                    default:
                        sb.Append('\\').Append(n);
                        break;
                }

                continue;
            }

            if (inClass)
            {
                if (c == '[' && i + 1 < p.Length && p[i + 1] == ':')
                {
                    int end = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    if (end > 0)
                    {
                        string name = p[(i + 2)..end];
                        bool negated = name.StartsWith('^');
                        if (!negated && Posix.TryGetValue(name, out string? cls))
                        {
                            sb.Append(cls);
                            i = end + 1;
                            continue;
                        }

                        throw new ArgumentException($"invalid character class range: [:{name}:]");
                    }
                }

                if (c == '[')
                {
                    sb.Append("\\[");
                    continue;
                }

                if (c == ']')
                {
                    inClass = false;
                }

                sb.Append(c);
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    sb.Append(c);
                    if (i + 1 < p.Length && p[i + 1] == '^')
                    {
                        sb.Append('^');
                        i++;
                    }

                    if (i + 1 < p.Length && p[i + 1] == ']')
                    {
                        sb.Append("\\]");
                        i++;
                    }

                    break;
                case '(' when i + 2 < p.Length && p[i + 1] == '?' && p[i + 2] == 'P' && i + 3 < p.Length && p[i + 3] == '<':
                    sb.Append("(?<");
                    i += 3;
                    break;
                case '(' when i + 2 < p.Length && p[i + 1] == '?' && p[i + 2] is '=' or '!' or '<' && !(i + 3 < p.Length && char.IsAsciiLetter(p[i + 3]) && p[i + 2] == '<'):
                    throw new ArgumentException("invalid or unsupported Perl syntax: lookaround");
                case '$' when !multiline:
                    sb.Append("\\z");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"\(\?[a-zA-Z]*m[a-zA-Z]*[):]")]
    private static partial Regex MultilineFlag();
}
