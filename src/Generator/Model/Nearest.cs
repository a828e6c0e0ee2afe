
namespace Dsl.Generator.Model
{
    /// <summary>Orders names by how near they are to a misspelled one, so messages can say the likely meant name first.</summary>
    internal static class Nearest
    {
        /// <summary>
        /// <paramref name="candidates"/>, nearest to <paramref name="name"/> first: fewest edits (Damerau-Levenshtein, ignoring case),
        /// with a candidate that contains the name or is contained in it counted as one edit (<c>KernelSize</c> is near
        /// <c>Kernel</c>); ties keep the candidates' order.
        /// </summary>
        public static List<string> Order(string name, IEnumerable<string> candidates) =>
            candidates.Distinct(StringComparer.Ordinal).Select((c, i) => (c, i, d: Distance(name, c))).OrderBy(t => t.d).ThenBy(t => t.i).Select(t => t.c).ToList();

        private static int Distance(string a, string b)
        {
            a = a.ToLowerInvariant();
            b = b.ToLowerInvariant();
            if (a.Length > 0 && b.Length > 0 && (a.Contains(b) || b.Contains(a))) return Math.Min(1, Math.Abs(a.Length - b.Length));
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
            return d[a.Length, b.Length];
        }
    }
}
