using System.Text;

namespace HardNegOT.Text;

/// <summary>
/// Splits text into lower-case words and punctuation: a word is a run of letters and digits, joined across a single
/// apostrophe or hyphen between two such characters ("don't", "t-shirt"); every other non-space character is a token
/// of its own. "A T-shirt/top, dark." → ["a", "t-shirt", "/", "top", ",", "dark", "."].
/// </summary>
public static class WordSplitter
{
    /// <summary>The tokens of <paramref name="text"/>, lower-cased with the invariant culture.</summary>
    /// <param name="text">Any text; null is refused.</param>
    public static List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var word = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }
            bool joiner = (c == '\'' || c == '-' || c == '\u2019') && word.Length > 0
                && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]);
            if (joiner)
            {
                word.Append(c == '\u2019' ? '\'' : c);
                continue;
            }
            Flush(word, tokens);
            if (!char.IsWhiteSpace(c) && !char.IsControl(c)) tokens.Add(c.ToString());
        }
        Flush(word, tokens);
        return tokens;
    }

    private static void Flush(StringBuilder word, List<string> tokens)
    {
        if (word.Length == 0) return;
        tokens.Add(word.ToString());
        word.Clear();
    }
}
