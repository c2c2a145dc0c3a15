using System.Globalization;
using System.Text;

namespace DraSdk.Cel.Internal;

internal enum Tok
{
    Eof,
    Ident,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Comma,
    Colon,
    Question,
    Not,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    EqEq,
    NotEq,
    And,
    Or,
    In,
    True,
    False,
    Null,
}

internal readonly record struct Token(Tok Kind, int Pos, string Text, Value Literal);

/// <summary>Parses CEL source into an AST and expands the macros; throws <see cref="CelCompileException"/>.</summary>
internal sealed class Parser
{
    /// <summary>The deepest nesting of calls, members and operators an expression may have.</summary>
    public const int MaxDepth = 250;

    private static readonly HashSet<string> Reserved =
    [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    ];

    private readonly string _src;
    private readonly List<Token> _tokens = [];
    private int _p;
    private int _depth;

    private Parser(string src)
    {
        _src = src;
    }

    public static Expr Parse(string source)
    {
        var p = new Parser(source);
        p.Lex();
        Expr e = p.ParseExpr();
        if (p.Peek.Kind != Tok.Eof)
        {
            throw p.Error(p.Peek.Pos, $"Syntax error: mismatched input '{p.Peek.Text}' expecting <EOF>");
        }

        return e;
    }

    private CelCompileException Error(int pos, string message) => new(_src, pos, message);

    // ---------------------------------------------------------------- lexer

    private void Lex()
    {
        string s = _src;
        int i = 0;
        while (true)
        {
            while (i < s.Length)
            {
                char c = s[i];
                if (c is ' ' or '\t' or '\n' or '\r' or '\f')
                {
                    i++;
                }
                else if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
                {
                    while (i < s.Length && s[i] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }

            if (i >= s.Length)
            {
                _tokens.Add(new Token(Tok.Eof, s.Length, "<EOF>", default));
                return;
            }

            int start = i;
            char ch = s[i];
            char next = i + 1 < s.Length ? s[i + 1] : '\0';
            if (char.IsAsciiLetter(ch) || ch == '_')
            {
                // String and bytes prefixes.
                if ((ch is 'r' or 'R' or 'b' or 'B') && (next is '"' or '\''))
                {
                    i = LexString(i + 1, raw: ch is 'r' or 'R', bytes: ch is 'b' or 'B', start);
                    continue;
                }

                if ((ch is 'r' or 'R' or 'b' or 'B') && (next is 'r' or 'R' or 'b' or 'B') && char.ToLowerInvariant(ch) != char.ToLowerInvariant(next) &&
                    i + 2 < s.Length && s[i + 2] is '"' or '\'')
                {
                    i = LexString(i + 2, raw: true, bytes: true, start);
                    continue;
                }

                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }

                string word = s[start..i];
                Tok kind = word switch
                {
                    "true" => Tok.True,
                    "false" => Tok.False,
                    "null" => Tok.Null,
                    "in" => Tok.In,
                    _ => Tok.Ident,
                };
                if (kind == Tok.Ident && Reserved.Contains(word))
                {
                    throw Error(start, $"Syntax error: reserved identifier: {word}");
                }

                _tokens.Add(new Token(kind, start, word, default));
                continue;
            }

            if (char.IsAsciiDigit(ch) || (ch == '.' && char.IsAsciiDigit(next) && !PreviousEndsOperand()))
            {
                i = LexNumber(i);
                continue;
            }

            if (ch is '"' or '\'')
            {
                i = LexString(i, raw: false, bytes: false, start);
                continue;
            }

            (Tok t, int len) = ch switch
            {
                '(' => (Tok.LParen, 1),
                ')' => (Tok.RParen, 1),
                '[' => (Tok.LBracket, 1),
                ']' => (Tok.RBracket, 1),
                '{' => (Tok.LBrace, 1),
                '}' => (Tok.RBrace, 1),
                '.' => (Tok.Dot, 1),
                ',' => (Tok.Comma, 1),
                ':' => (Tok.Colon, 1),
                '?' => (Tok.Question, 1),
                '+' => (Tok.Plus, 1),
                '-' => (Tok.Minus, 1),
                '*' => (Tok.Star, 1),
                '/' => (Tok.Slash, 1),
                '%' => (Tok.Percent, 1),
                '!' when next == '=' => (Tok.NotEq, 2),
                '!' => (Tok.Not, 1),
                '<' when next == '=' => (Tok.LessEq, 2),
                '<' => (Tok.Less, 1),
                '>' when next == '=' => (Tok.GreaterEq, 2),
                '>' => (Tok.Greater, 1),
                '=' when next == '=' => (Tok.EqEq, 2),
                '&' when next == '&' => (Tok.And, 2),
                '|' when next == '|' => (Tok.Or, 2),
                _ => (Tok.Eof, 0),
            };
            if (len == 0)
            {
                throw Error(start, $"Syntax error: token recognition error at: '{ch}'");
            }

            _tokens.Add(new Token(t, start, s.Substring(start, len), default));
            i += len;
        }
    }

    private bool PreviousEndsOperand()
    {
        if (_tokens.Count == 0)
        {
            return false;
        }

        return _tokens[^1].Kind is Tok.Ident or Tok.RParen or Tok.RBracket or Tok.RBrace or Tok.Int or Tok.Uint or Tok.Double or Tok.String or Tok.Bytes;
    }

    private int LexNumber(int i)
    {
        string s = _src;
        int start = i;
        if (s[i] == '0' && i + 1 < s.Length && s[i + 1] is 'x' or 'X')
        {
            i += 2;
            int hs = i;
            while (i < s.Length && char.IsAsciiHexDigit(s[i]))
            {
                i++;
            }

            if (i == hs)
            {
                throw Error(start, "Syntax error: invalid hex literal");
            }

            string hex = s[hs..i];
            if (i < s.Length && s[i] is 'u' or 'U')
            {
                i++;
                if (!ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong u))
                {
                    throw Error(start, "invalid uint literal");
                }

                _tokens.Add(new Token(Tok.Uint, start, s[start..i], Value.Uint(u)));
            }
            else
            {
                if (!ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong u) || u > 9223372036854775808UL)
                {
                    throw Error(start, "invalid int literal");
                }

                _tokens.Add(new Token(Tok.Int, start, s[start..i], Value.Uint(u)));
            }

            return i;
        }

        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        bool isDouble = false;
        if (i < s.Length && s[i] == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            int j = i + 1;
            if (j < s.Length && s[j] is '+' or '-')
            {
                j++;
            }

            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                isDouble = true;
                i = j;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
            }
        }

        string text = s[start..i];
        if (isDouble)
        {
            _tokens.Add(new Token(Tok.Double, start, text, Value.Double(double.Parse(text, CultureInfo.InvariantCulture))));
            return i;
        }

        if (i < s.Length && s[i] is 'u' or 'U')
        {
            i++;
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u))
            {
                throw Error(start, "invalid uint literal");
            }

            _tokens.Add(new Token(Tok.Uint, start, s[start..i], Value.Uint(u)));
            return i;
        }

        // Kept as the magnitude; the parser applies a leading minus so that int64's minimum parses.
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong mag) || mag > 9223372036854775808UL)
        {
            throw Error(start, "invalid int literal");
        }

        _tokens.Add(new Token(Tok.Int, start, text, Value.Uint(mag)));
        return i;
    }

    private int LexString(int i, bool raw, bool bytes, int tokenStart)
    {
        string s = _src;
        char q = s[i];
        bool triple = i + 2 < s.Length && s[i + 1] == q && s[i + 2] == q;
        i += triple ? 3 : 1;
        var text = new StringBuilder();
        var raws = bytes ? new List<byte>() : null;
        while (true)
        {
            if (i >= s.Length)
            {
                throw Error(tokenStart, "Syntax error: unterminated string literal");
            }

            char c = s[i];
            if (triple ? (c == q && i + 2 < s.Length && s[i + 1] == q && s[i + 2] == q) : c == q)
            {
                i += triple ? 3 : 1;
                break;
            }

            if (!triple && c is '\n' or '\r')
            {
                throw Error(tokenStart, "Syntax error: unterminated string literal");
            }

            if (c == '\\' && !raw)
            {
                if (i + 1 >= s.Length)
                {
                    throw Error(i, "Syntax error: invalid escape sequence");
                }

                char e = s[i + 1];
                i += 2;
                switch (e)
                {
                    case 'a': Append('\a'); break;
                    case 'b': Append('\b'); break;
                    case 'f': Append('\f'); break;
                    case 'n': Append('\n'); break;
                    case 'r': Append('\r'); break;
                    case 't': Append('\t'); break;
                    case 'v': Append('\v'); break;
                    case '\\': Append('\\'); break;
                    case '\'': Append('\''); break;
                    case '"': Append('"'); break;
                    case '`': Append('`'); break;
                    case '?': Append('?'); break;
                    case 'x' or 'X':
                        {
                            int v = ParseHex(i, 2);
                            i += 2;
                            AppendByteOrChar(v);
                            break;
                        }

                    case 'u':
                        {
                            int v = ParseHex(i, 4);
                            i += 4;
                            if (bytes || (v >= 0xD800 && v <= 0xDFFF))
                            {
                                throw Error(i, "Syntax error: invalid unicode escape");
                            }

                            Append((char)v);
                            break;
                        }

                    case 'U':
                        {
                            int v = ParseHex(i, 8);
                            i += 8;
                            if (bytes || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                            {
                                throw Error(i, "Syntax error: invalid unicode escape");
                            }

                            AppendText(char.ConvertFromUtf32(v));
                            break;
                        }

                    case >= '0' and <= '3':
                        {
                            if (i + 1 >= s.Length || s[i] is < '0' or > '7' || s[i + 1] is < '0' or > '7')
                            {
                                throw Error(i, "Syntax error: invalid octal escape");
                            }

                            int v = ((e - '0') * 64) + ((s[i] - '0') * 8) + (s[i + 1] - '0');
                            i += 2;
                            AppendByteOrChar(v);
                            break;
                        }

                    default:
                        throw Error(i - 2, "Syntax error: invalid escape sequence");
                }

                continue;
            }

            if (raws is not null)
            {
                int len = char.IsSurrogatePair(s, i) ? 2 : 1;
                raws.AddRange(Encoding.UTF8.GetBytes(s.Substring(i, len)));
                i += len;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        string tokText = s[tokenStart..i];
        if (raws is not null)
        {
            _tokens.Add(new Token(Tok.Bytes, tokenStart, tokText, Value.Bytes([.. raws])));
        }
        else
        {
            _tokens.Add(new Token(Tok.String, tokenStart, tokText, Value.String(text.ToString())));
        }

        return i;

        void Append(char ch)
        {
            if (raws is not null)
            {
                raws.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
            }
            else
            {
                text.Append(ch);
            }
        }

        void AppendText(string str)
        {
            if (raws is not null)
            {
                raws.AddRange(Encoding.UTF8.GetBytes(str));
            }
            else
            {
                text.Append(str);
            }
        }

        void AppendByteOrChar(int v)
        {
            if (raws is not null)
            {
                raws.Add((byte)v);
            }
            else
            {
                text.Append((char)v);
            }
        }
    }

    private int ParseHex(int i, int n)
    {
        if (i + n > _src.Length || !int.TryParse(_src.AsSpan(i, n), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw Error(i, "Syntax error: invalid escape sequence");
        }

        return v;
    }

    // ---------------------------------------------------------------- parser

    private Token Peek => _tokens[_p];

    private Token Next() => _tokens[_p++];

    private bool Accept(Tok t)
    {
        if (Peek.Kind == t)
        {
            _p++;
            return true;
        }

        return false;
    }

    private Token Expect(Tok t, string what)
    {
        if (Peek.Kind != t)
        {
            throw Error(Peek.Pos, $"Syntax error: mismatched input '{Peek.Text}' expecting {what}");
        }

        return Next();
    }

    private void Enter(int pos)
    {
        if (++_depth > MaxDepth)
        {
            throw Error(pos, $"expression recursion limit exceeded: nesting deeper than {MaxDepth}");
        }
    }

    private Expr ParseExpr()
    {
        Enter(Peek.Pos);
        try
        {
            Expr cond = ParseOr();
            if (Peek.Kind == Tok.Question)
            {
                int pos = Next().Pos;
                Expr a = ParseOr();
                Expect(Tok.Colon, "':'");
                Expr b = ParseExpr();
                return new CallExpr(pos, null, "_?_:_", [cond, a, b]);
            }

            return cond;
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseOr()
    {
        Expr first = ParseAnd();
        if (Peek.Kind != Tok.Or)
        {
            return first;
        }

        var terms = new List<Expr> { first };
        int pos = Peek.Pos;
        while (Accept(Tok.Or))
        {
            terms.Add(ParseAnd());
        }

        return new LogicalExpr(pos, isAnd: false, terms);
    }

    private Expr ParseAnd()
    {
        Expr first = ParseRelation();
        if (Peek.Kind != Tok.And)
        {
            return first;
        }

        var terms = new List<Expr> { first };
        int pos = Peek.Pos;
        while (Accept(Tok.And))
        {
            terms.Add(ParseRelation());
        }

        return new LogicalExpr(pos, isAnd: true, terms);
    }

    private Expr ParseRelation()
    {
        Expr left = ParseAddition();
        int depth = 0;
        while (true)
        {
            string? op = Peek.Kind switch
            {
                Tok.Less => "_<_",
                Tok.LessEq => "_<=_",
                Tok.Greater => "_>_",
                Tok.GreaterEq => "_>=_",
                Tok.EqEq => "_==_",
                Tok.NotEq => "_!=_",
                Tok.In => "@in",
                _ => null,
            };
            if (op is null)
            {
                break;
            }

            int pos = Next().Pos;
            Enter(pos);
            depth++;
            left = new CallExpr(pos, null, op, [left, ParseAddition()]);
        }

        _depth -= depth;
        return left;
    }

    private Expr ParseAddition()
    {
        Expr left = ParseMultiplication();
        int depth = 0;
        while (Peek.Kind is Tok.Plus or Tok.Minus)
        {
            Token t = Next();
            Enter(t.Pos);
            depth++;
            left = new CallExpr(t.Pos, null, t.Kind == Tok.Plus ? "_+_" : "_-_", [left, ParseMultiplication()]);
        }

        _depth -= depth;
        return left;
    }

    private Expr ParseMultiplication()
    {
        Expr left = ParseUnary();
        int depth = 0;
        while (Peek.Kind is Tok.Star or Tok.Slash or Tok.Percent)
        {
            Token t = Next();
            Enter(t.Pos);
            depth++;
            string op = t.Kind switch { Tok.Star => "_*_", Tok.Slash => "_/_", _ => "_%_" };
            left = new CallExpr(t.Pos, null, op, [left, ParseUnary()]);
        }

        _depth -= depth;
        return left;
    }

    private Expr ParseUnary()
    {
        if (Peek.Kind == Tok.Not)
        {
            int pos = Next().Pos;
            Enter(pos);
            try
            {
                return new CallExpr(pos, null, "!_", [ParseUnary()]);
            }
            finally
            {
                _depth--;
            }
        }

        if (Peek.Kind == Tok.Minus)
        {
            int pos = Next().Pos;
            if (Peek.Kind == Tok.Int && _tokens[_p + 1].Kind is not (Tok.Dot or Tok.LBracket))
            {
                Token lit = Next();
                ulong mag = lit.Literal.AsUint;
                return ParseMemberSuffix(new ConstExpr(pos, Value.Int(mag == 9223372036854775808UL ? long.MinValue : -(long)mag)));
            }

            Enter(pos);
            try
            {
                return new CallExpr(pos, null, "-_", [ParseUnary()]);
            }
            finally
            {
                _depth--;
            }
        }

        return ParseMember();
    }

    private Expr ParseMember() => ParseMemberSuffix(ParsePrimary());

    private Expr ParseMemberSuffix(Expr e)
    {
        int depth = 0;
        try
        {
            while (true)
            {
                if (Peek.Kind == Tok.Dot)
                {
                    int pos = Next().Pos;
                    Enter(pos);
                    depth++;
                    bool optional = Accept(Tok.Question);
                    Token name = Expect(Tok.Ident, "IDENTIFIER");
                    if (!optional && Peek.Kind == Tok.LParen)
                    {
                        Next();
                        Expr[] args = ParseArgs(Tok.RParen);
                        e = MakeCall(name.Pos, e, name.Text, args);
                    }
                    else
                    {
                        e = new SelectExpr(name.Pos, e, name.Text, optional, testOnly: false);
                    }
                }
                else if (Peek.Kind == Tok.LBracket)
                {
                    int pos = Next().Pos;
                    Enter(pos);
                    depth++;
                    bool optional = Accept(Tok.Question);
                    Expr index = ParseExpr();
                    Expect(Tok.RBracket, "']'");
                    e = new CallExpr(pos, null, optional ? "_[?_]" : "_[_]", [e, index]);
                }
                else if (Peek.Kind == Tok.LBrace && e is IdentExpr or SelectExpr)
                {
                    throw Error(Peek.Pos, "message construction is not supported in DRA selectors");
                }
                else
                {
                    return e;
                }
            }
        }
        finally
        {
            _depth -= depth;
        }
    }

    private Expr[] ParseArgs(Tok close)
    {
        var args = new List<Expr>();
        if (Accept(close))
        {
            return [.. args];
        }

        do
        {
            if (Peek.Kind == close)
            {
                break; // trailing comma
            }

            args.Add(ParseExpr());
        }
        while (Accept(Tok.Comma));

        Expect(close, close == Tok.RParen ? "')'" : "']'");
        return [.. args];
    }

    private Expr ParsePrimary()
    {
        Token t = Next();
        switch (t.Kind)
        {
            case Tok.Int:
                if (t.Literal.AsUint > long.MaxValue)
                {
                    throw Error(t.Pos, "invalid int literal");
                }

                return new ConstExpr(t.Pos, Value.Int((long)t.Literal.AsUint));
            case Tok.Uint:
            case Tok.Double:
            case Tok.String:
            case Tok.Bytes:
                return new ConstExpr(t.Pos, t.Literal);
            case Tok.True:
                return new ConstExpr(t.Pos, Value.True);
            case Tok.False:
                return new ConstExpr(t.Pos, Value.False);
            case Tok.Null:
                return new ConstExpr(t.Pos, Value.Null);
            case Tok.Dot:
                {
                    Token name = Expect(Tok.Ident, "IDENTIFIER");
                    if (Peek.Kind == Tok.LParen)
                    {
                        Next();
                        return MakeCall(name.Pos, null, name.Text, ParseArgs(Tok.RParen));
                    }

                    return new IdentExpr(name.Pos, name.Text);
                }

            case Tok.Ident:
                if (Peek.Kind == Tok.LParen)
                {
                    Next();
                    return MakeCall(t.Pos, null, t.Text, ParseArgs(Tok.RParen));
                }

                return new IdentExpr(t.Pos, t.Text);
            case Tok.LParen:
                {
                    Expr e = ParseExpr();
                    Expect(Tok.RParen, "')'");
                    return e;
                }

            case Tok.LBracket:
                {
                    var elems = new List<Expr>();
                    var opts = new List<bool>();
                    if (!Accept(Tok.RBracket))
                    {
                        do
                        {
                            if (Peek.Kind == Tok.RBracket)
                            {
                                break;
                            }

                            opts.Add(Accept(Tok.Question));
                            elems.Add(ParseExpr());
                        }
                        while (Accept(Tok.Comma));

                        Expect(Tok.RBracket, "']'");
                    }

                    return new ListExpr(t.Pos, [.. elems], [.. opts]);
                }

            case Tok.LBrace:
                {
                    var entries = new List<(Expr, Expr, bool)>();
                    if (!Accept(Tok.RBrace))
                    {
                        do
                        {
                            if (Peek.Kind == Tok.RBrace)
                            {
                                break;
                            }

                            bool opt = Accept(Tok.Question);
                            Expr k = ParseExpr();
                            Expect(Tok.Colon, "':'");
                            Expr v = ParseExpr();
                            entries.Add((k, v, opt));
                        }
                        while (Accept(Tok.Comma));

                        Expect(Tok.RBrace, "'}'");
                    }

                    return new MapExpr(t.Pos, [.. entries]);
                }

            case Tok.Eof:
                throw Error(t.Pos, "Syntax error: mismatched input '<EOF>' expecting an expression");
            default:
                throw Error(t.Pos, $"Syntax error: extraneous input '{t.Text}'");
        }
    }

    // ---------------------------------------------------------------- macros

    private Expr MakeCall(int pos, Expr? target, string name, Expr[] args)
    {
        if (target is null)
        {
            if (name == "has" && args.Length == 1)
            {
                if (args[0] is SelectExpr { Optional: false } sel)
                {
                    return new SelectExpr(sel.Pos, sel.Operand, sel.Field, optional: false, testOnly: true);
                }

                throw Error(args[0].Pos, "invalid argument to has() macro");
            }

            return new CallExpr(pos, null, name, args);
        }

        if (target is IdentExpr { Name: "cel" } && name == "bind" && args.Length == 3)
        {
            return new BindExpr(pos, VarName(args[0]), args[1], args[2]);
        }

        MacroKind? kind = (name, args.Length) switch
        {
            ("all", 2) => MacroKind.All,
            ("exists", 2) => MacroKind.Exists,
            ("exists_one", 2) or ("existsOne", 2) => MacroKind.ExistsOne,
            ("map", 2) => MacroKind.Map,
            ("map", 3) => MacroKind.MapFilter,
            ("filter", 2) => MacroKind.Filter,
            ("sortBy", 2) => MacroKind.SortBy,
            ("optMap", 2) => MacroKind.OptMap,
            ("optFlatMap", 2) => MacroKind.OptFlatMap,
            ("all", 3) => MacroKind.All2,
            ("exists", 3) => MacroKind.Exists2,
            ("exists_one", 3) or ("existsOne", 3) => MacroKind.ExistsOne2,
            ("transformList", 3) => MacroKind.TransformList,
            ("transformList", 4) => MacroKind.TransformListFilter,
            ("transformMap", 3) => MacroKind.TransformMap,
            ("transformMap", 4) => MacroKind.TransformMapFilter,
            ("transformMapEntry", 3) => MacroKind.TransformMapEntry,
            ("transformMapEntry", 4) => MacroKind.TransformMapEntryFilter,
            _ => null,
        };
        if (kind is null)
        {
            return new CallExpr(pos, target, name, args);
        }

        bool twoVars = kind.Value >= MacroKind.All2;
        string v1 = VarName(args[0]);
        string? v2 = twoVars ? VarName(args[1]) : null;
        if (v2 is not null && v1 == v2)
        {
            throw Error(args[1].Pos, $"duplicate variable name: {v1}");
        }

        Expr[] bodies = args[(twoVars ? 2 : 1)..];
        return new ComprehensionExpr(pos, kind.Value, target, v1, v2, bodies);
    }

    private string VarName(Expr e)
    {
        if (e is IdentExpr id)
        {
            return id.Name;
        }

        throw Error(e.Pos, "argument must be a simple name");
    }
}
