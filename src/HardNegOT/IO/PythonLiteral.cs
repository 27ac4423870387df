using System.Globalization;
using System.Text;

namespace HardNegOT.IO;

/// <summary>A Python tuple value; kept distinct from lists because a .npy 'shape' must be a tuple.</summary>
internal sealed class PythonTuple(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}

/// <summary>
/// Parses the Python literal subset that numpy writes into .npy headers (the repr of a dict):
/// dicts with string keys, tuples, lists, strings, integers and True/False/None.
/// Values map to Dictionary&lt;string, object?&gt;, <see cref="PythonTuple"/>, List&lt;object?&gt;, string, long, bool and null.
/// </summary>
internal sealed class PythonLiteral
{
    private readonly string _text;
    private int _pos;

    private PythonLiteral(string text) => _text = text;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> saying where parsing stopped.</summary>
    public static object? Parse(string text)
    {
        var parser = new PythonLiteral(text);
        var value = parser.ParseValue();
        parser.SkipWhitespace();
        if (parser._pos != text.Length)
        {
            throw parser.Error("unexpected text after the literal");
        }

        return value;
    }

    private object? ParseValue()
    {
        SkipWhitespace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of text");
        }

        char c = _text[_pos];
        return c switch
        {
            '{' => ParseDict(),
            '(' => ParseTuple(),
            '[' => ParseList(),
            '\'' or '"' => ParseString(),
            _ when c == '-' || c == '+' || char.IsAsciiDigit(c) => ParseInteger(),
            _ when char.IsAsciiLetter(c) => ParseName(),
            _ => throw Error($"unexpected character '{c}'"),
        };
    }

    private Dictionary<string, object?> ParseDict()
    {
        Expect('{');
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('}'))
            {
                return dict;
            }

            if (ParseValue() is not string key)
            {
                throw Error("dictionary keys must be strings");
            }

            SkipWhitespace();
            Expect(':');
            var value = ParseValue();
            if (!dict.TryAdd(key, value))
            {
                throw Error($"duplicate key '{key}'");
            }

            SkipWhitespace();
            if (!TryConsume(','))
            {
                SkipWhitespace();
                Expect('}');
                return dict;
            }
        }
    }

    private object? ParseTuple()
    {
        Expect('(');
        var items = ParseSequence(')', out bool sawComma);

        // Python: "(x)" is just x; only a comma makes a one-element tuple.
        return items.Count == 1 && !sawComma ? items[0] : new PythonTuple(items);
    }

    private List<object?> ParseList()
    {
        Expect('[');
        return ParseSequence(']', out _);
    }

    private List<object?> ParseSequence(char close, out bool sawComma)
    {
        var items = new List<object?>();
        sawComma = false;
        while (true)
        {
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            items.Add(ParseValue());
            SkipWhitespace();
            if (TryConsume(','))
            {
                sawComma = true;
                continue;
            }

            Expect(close);
            return items;
        }
    }

    private string ParseString()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("unterminated string");
            }

            char c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
            {
                throw Error("unterminated escape in string");
            }

            char e = _text[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case 'x': sb.Append(ParseHexEscape(2)); break;
                case 'u': sb.Append(ParseHexEscape(4)); break;
                default: sb.Append(e); break; // \\, \', \" and anything else Python keeps literally enough for dtype names
            }
        }
    }

    private char ParseHexEscape(int digits)
    {
        if (_pos + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
        {
            throw Error("bad hexadecimal escape in string");
        }

        _pos += digits;
        return (char)code;
    }

    private long ParseInteger()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+')
        {
            _pos++;
        }

        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        var digits = _text[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);

        // Python 2 era numpy wrote shape entries as longs, e.g. "(3L, 4L)".
        if (_pos < _text.Length && _text[_pos] is 'L' or 'l')
        {
            _pos++;
        }

        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            throw Error($"'{digits}' is not an integer in range");
        }

        return value;
    }

    private object? ParseName()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        return _text[start.._pos] switch
        {
            "True" => true,
            "False" => false,
            "None" => null,
            var name => throw new FormatException($"unsupported name '{name}' at offset {start} in header"),
        };
    }

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private bool TryConsume(char c)
    {
        if (_pos < _text.Length && _text[_pos] == c)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
        {
            throw Error(_pos < _text.Length ? $"expected '{c}' but found '{_text[_pos]}'" : $"expected '{c}' but the text ended");
        }
    }

    private FormatException Error(string message) => new($"{message} at offset {_pos} in header");
}
