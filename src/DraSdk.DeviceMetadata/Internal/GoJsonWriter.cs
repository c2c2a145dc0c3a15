using System.Globalization;
using System.Text;

namespace DraSdk.DeviceMetadata.Internal;

/// <summary>
/// Writes JSON the way Go's <c>json.MarshalIndent(v, "", "  ")</c> does: two-space indent, <c>"key": value</c>, empty
/// objects and arrays as <c>{}</c> and <c>[]</c>, and Go's string escaping (<c>&lt; &gt; &amp;</c>, U+2028 and U+2029
/// as <c>\u00XX</c>/<c>\u20XX</c> in lower-case hex; <c>\b \f \n \r \t</c> short; other controls as <c>\u00XX</c>;
/// everything else raw UTF-8). The caller writes the members in the order Go emits the struct's fields.
/// </summary>
internal sealed class GoJsonWriter
{
    private readonly StringBuilder _text = new();
    private readonly Stack<bool> _hasMember = new();

    public void StartObject() => Open('{');

    public void EndObject() => Close('}');

    public void StartArray() => Open('[');

    public void EndArray() => Close(']');

    public void Name(string name)
    {
        NextMember();
        WriteString(name);
        _text.Append(": ");
        _pendingValueAfterName = true;
    }

    public void String(string value)
    {
        BeforeValue();
        WriteString(value);
    }

    public void Int(long value)
    {
        BeforeValue();
        _text.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    public void Bool(bool value)
    {
        BeforeValue();
        _text.Append(value ? "true" : "false");
    }

    public void StringProperty(string name, string value)
    {
        Name(name);
        String(value);
    }

    public void StringArray(string name, IEnumerable<string> values)
    {
        Name(name);
        StartArray();
        foreach (string value in values)
        {
            String(value);
        }

        EndArray();
    }

    public override string ToString() => _text.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_text.ToString());

    private bool _pendingValueAfterName;

    private void Open(char bracket)
    {
        BeforeValue();
        _text.Append(bracket);
        _hasMember.Push(false);
    }

    private void Close(char bracket)
    {
        bool any = _hasMember.Pop();
        if (any)
        {
            NewLine();
        }

        _text.Append(bracket);
    }

    private void BeforeValue()
    {
        if (_pendingValueAfterName)
        {
            _pendingValueAfterName = false;
            return;
        }

        if (_hasMember.Count > 0)
        {
            NextMember();
        }
    }

    private void NextMember()
    {
        if (_hasMember.Pop())
        {
            _text.Append(',');
        }

        _hasMember.Push(true);
        NewLine();
    }

    private void NewLine()
    {
        _text.Append('\n');
        _text.Append(' ', _hasMember.Count * 2);
    }

    private void WriteString(string value)
    {
        _text.Append('"');
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    AppendEscaped(c);
                    break;
                default:
                    if (c < 0x20)
                    {
                        AppendEscaped(c);
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        _text.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        // Go writes invalid UTF-8 as the replacement character, escaped.
                        _text.Append("\\ufffd");
                    }
                    else
                    {
                        _text.Append(c);
                    }

                    break;
            }
        }

        _text.Append('"');
    }

    private void AppendEscaped(char c) => _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}
