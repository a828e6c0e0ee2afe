using System.Text;
using System.Text.RegularExpressions;

namespace Dsl
{
    /// <summary>
    /// The globs of <c>[Init]</c> targets over module and parameter paths: <c>*</c> is any run of characters within one
    /// segment, <c>**</c> any run including dots, <c>?</c> one character of a segment; the whole path must match.
    /// One file, compiled into both the Dsl assembly (which applies the rules at run time) and the generator (which
    /// checks at compile time that each glob matches a path), so the two cannot disagree.
    /// </summary>
    internal static class PathGlob
    {
        /// <summary>The regular expression of <paramref name="glob"/>.</summary>
        public static Regex ToRegex(string glob)
        {
            var sb = new StringBuilder("^");
            for (int i = 0; i < glob.Length; i++)
            {
                char c = glob[i];
                if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*') { sb.Append(".*"); i++; }
                else if (c == '*') sb.Append("[^.]*");
                else if (c == '?') sb.Append("[^.]");
                else sb.Append(Regex.Escape(c.ToString()));
            }
            return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
        }
    }
}
