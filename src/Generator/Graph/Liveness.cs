
namespace Dsl.Generator.Graph
{
    /// <summary>
    /// Which steps of a forward a set of results needs. A forward writes its variables more than once (every top-level
    /// step writes "x" in most networks), so a step is needed when it writes a variable that is read later by a needed
    /// step (or is a result) before being written again: the classic backward liveness walk.
    /// </summary>
    internal static class Liveness
    {
        /// <summary>For each step, whether the values <paramref name="results"/> (at the end of the forward) need it; <paramref name="external"/>: the variables read that no step writes first (the inputs).</summary>
        public static bool[] Needed(IReadOnlyList<Step> body, IEnumerable<string> results, out HashSet<string> external)
        {
            var live = new HashSet<string>(results, StringComparer.Ordinal);
            var needed = new bool[body.Count];
            for (int i = body.Count - 1; i >= 0; i--)
            {
                var step = body[i];
                if (!live.Contains(step.Output)) continue;
                needed[i] = true;
                live.Remove(step.Output);
                foreach (var input in step.Inputs) live.Add(input);
            }
            external = live;
            return needed;
        }
    }
}
