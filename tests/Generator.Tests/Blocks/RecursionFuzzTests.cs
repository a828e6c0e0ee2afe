using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Property test of recursive blocks: one to three blocks that use themselves and each other, several times per
    /// level, inlined or not, with When conditions that end the recursion or never do, arguments that shrink, stay or
    /// grow. The expansion is worked out here (uses, modules, nesting depth, convolutions). For every case the generator
    /// and the analyzer end within a bounded time (a batch that does not is a failure, never a hang), never throw, and:
    /// a recursion nested deeper than the limit or whose uses and modules alone exceed the work budget is reported (DSL018 or DSL029);
    /// one well within both builds without a diagnostic; and whatever builds without a diagnostic has exactly the
    /// convolutions the expansion has (parameters and state_dict keys), runs, exports to an ONNX model that computes the
    /// same output and (where python3-torch is installed) gives a twin that imports with the same keys.
    /// DSL_RECURSION_FUZZ_CASES (default 200) and DSL_RECURSION_FUZZ_SEED (default 20261203) configure the run.
    /// </summary>
    public class RecursionFuzzTests
    {
        private const int BatchSize = 25;

        /// <summary>A batch of generator and analyzer runs that takes longer than this is reported as a hang.</summary>
        private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(3);

        private readonly ITestOutputHelper _output;

        public RecursionFuzzTests(ITestOutputHelper output) => _output = output;

        [SkippableFact]
        public void Recursive_blocks_with_fan_out_are_reported_in_bounded_time_or_build_the_expanded_network()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_RECURSION_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 200;
            int seed = int.TryParse(Environment.GetEnvironmentVariable("DSL_RECURSION_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20261203;
            var stats = new Stats();
            using var exports = new ExportChecks("recursion-fuzz");
            var clock = PropertyClock.Start();
            for (int start = 0; start < cases; start += BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(BatchSize, cases - start)).Select(i => RCase.Draw(i, new Random(seed + i * 7919))).ToArray();
                CheckBatch(batch, stats, exports);
            }
            Assert.True(stats.Built >= cases / 5, stats.ToString());
            Assert.True(stats.OverBudget >= cases / 10, stats.ToString());
            Assert.True(stats.TooDeep >= cases / 20, stats.ToString());
            string? python = exports.CheckTwins();
            _output.WriteLine($"{cases} cases (seed {seed}): {stats}; twins {(python is null ? "imported: " + exports.Twins : "not checked: " + python)}; {clock}");
            Skip.If(python is not null, python);
        }

        /// <summary>
        /// Case 106 of the default seed: blocks whose uses differ in which blocks they use under When, inlined into each
        /// other, once built a block class that created modules the expansion does not have. It builds exactly the expansion.
        /// </summary>
        [SkippableFact]
        public void Recursive_blocks_whose_uses_differ_in_blocks_under_When_build_only_the_expanded_modules()
        {
            var k = RCase.Draw(106, new Random(20261203 + 106 * 7919));
            Assert.Contains("[Block(\"d\", Merge = Merge.Add)] [ReLU] [Use<R2>(\"d / 2\", When = \"d > 1\")] [Use<R2>(\"d / 2\", When = \"d > 0\")] [Conv2d(2, 1)] public partial class R0;", k.Render());
            var stats = new Stats();
            using var exports = new ExportChecks("recursion-case-106");
            CheckBatch(new[] { k }, stats, exports);
            Assert.Equal(1, stats.Built);
            string? python = exports.CheckTwins();
            Skip.If(python is not null, python);
        }

        private sealed class Stats
        {
            public int Built, OverBudget, TooDeep, Either;
            public TimeSpan Slowest;
            public readonly SortedDictionary<string, int> Ids = new(StringComparer.Ordinal);
            public override string ToString() =>
                $"{Built} built the expanded network, {OverBudget} expanding beyond the budget and {TooDeep} nested too deep were reported, " +
                $"{Either} near the budget; slowest batch of {BatchSize} through the generator and the analyzer {Slowest.TotalSeconds:F1} s; ids: "
                + string.Join(", ", Ids.Select(p => p.Key + "=" + p.Value));
        }

        private static void CheckBatch(RCase[] batch, Stats stats, ExportChecks exports)
        {
            var sources = batch.Select(k => k.Render()).ToArray();
            var watch = Stopwatch.StartNew();
            var work = Task.Run(() =>
            {
                var run = Harness.Run(sources);
                return (run, DiagnosticHarness.AnalyzeAll(run.Output));
            });
            Assert.True(work.Wait(HangLimit), $"The generator and the analyzer did not finish {batch.Length} cases in {HangLimit}:\n" + string.Join("\n", sources));
            var (run, all) = work.Result;
            if (watch.Elapsed > stats.Slowest) stats.Slowest = watch.Elapsed;
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.True(!all.Any(d => d.Id is "AD0001" or "CS8785" or "DSL016"), "The analyzer or generator failed:\n" + string.Join("\n", all.Where(d => d.Id is "AD0001" or "CS8785" or "DSL016")));
            var other = all.Where(d => !d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(other.Length == 0, "Compiler errors:\n" + string.Join("\n", other.Take(5).Select(d => d + "\n" + d.Location.SourceTree)));

            System.Reflection.Assembly? assembly = null;
            for (int i = 0; i < batch.Length; i++)
            {
                var k = batch[i];
                var dsl = all.Where(d => d.Location.SourceTree?.FilePath == $"Source{i}.cs" && d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error).ToArray();
                foreach (var d in dsl) stats.Ids[d.Id] = stats.Ids.TryGetValue(d.Id, out int n) ? n + 1 : 1;
                var e = k.Expansion;
                string listing = $"case {k.Index} ({e}):\n{sources[i]}\n{string.Join("\n", dsl.Select(DiagnosticHarness.Render))}";
                if (e.TooDeep || e.Huge)
                {
                    Assert.True(dsl.Length > 0, "The recursion nests deeper than the limit or expands beyond the budget, but nothing is reported:\n" + listing);
                    Assert.True(dsl.All(d => d.Id is "DSL018" or "DSL029"), "Reported, but not as nesting or work:\n" + listing);
                    if (e.TooDeep) stats.TooDeep++;
                    else stats.OverBudget++;
                    continue;
                }
                if (dsl.Length > 0)
                {
                    Assert.True(!e.WithinBudget, "The expansion is well within the budget and the nesting limit, but it is reported:\n" + listing);
                    Assert.True(dsl.All(d => d.Id == "DSL029"), "Near the budget, but reported for something else:\n" + listing);
                    stats.Either++;
                    continue;
                }
                assembly ??= Harness.Load(run);
                var type = assembly.GetType($"Case{k.Index}.Net", throwOnError: true)!;
                var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
                long parameters = e.Convolutions * RCase.ConvParameters + RCase.HeadParameters;
                Assert.True(info.TotalParameters == parameters, $"{info.TotalParameters} parameters, the expansion has {e.Convolutions} convolutions ({parameters} parameters):\n{listing}");
                using var scope = NewDisposeScope();
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                net.eval();
                var keys = net.state_dict().Keys.ToArray();
                Assert.True(keys.Length == 2 * e.Convolutions + 2 && net.parameters().Sum(p => p.numel()) == parameters,
                    $"{keys.Length} state_dict keys and {net.parameters().Sum(p => p.numel())} parameters, the expansion has {e.Convolutions} convolutions:\n{listing}");
                manual_seed(k.Index);
                var x = randn(2, 2, 4, 4);
                Tensor y;
                using (no_grad()) y = net.call(x);
                Assert.Equal(new long[] { 2, 2 }, y.shape);
                ExportChecks.Onnx(net, x, y, listing);
                exports.AddTwin(info, keys, listing);
                stats.Built++;
            }
        }

        /// <summary>A use inside a block: the block it uses, its argument and condition (expressions over d), inlined or not.</summary>
        private sealed record RUse(int Block, string Argument, string? When, bool Inline);

        /// <summary>A block: Merge.Add or not; a convolution or ReLU first, then its uses, then maybe a convolution.</summary>
        private sealed record RBlock(bool Add, bool ConvFirst, RUse[] Uses, bool ConvLast);

        /// <summary>What the network expands to, worked out here (stopping early past the nesting limit or the budget).</summary>
        internal sealed record Expansion(long Uses, long Modules, long Expressions, long Convolutions, bool TooDeep, bool Huge)
        {
            /// <summary>Well within the budget of 100000 steps: every use, module and expression counted with room to spare.</summary>
            public bool WithinBudget => !TooDeep && !Huge && (3 * Uses + Expressions + Modules) * 3 / 2 < 100_000;

            public override string ToString() => $"{Uses} uses, {Modules} modules, {Expressions} expressions, {Convolutions} convolutions" + (TooDeep ? ", nested too deep" : "") + (Huge ? ", beyond the budget" : "");
        }

        private sealed class RCase
        {
            /// <summary>A 1x1 convolution on 2 channels.</summary>
            public const long ConvParameters = 2 * 2 + 2;

            /// <summary>Linear(2) after Flatten of [2, 4, 4].</summary>
            public const long HeadParameters = 32 * 2 + 2;

            // The first four arguments and conditions end every recursion (d shrinks while it is positive); the rest may not.
            private static readonly string[] Arguments = { "d - 1", "d - 1", "d - 2", "d / 2", "d", "d + 1" };
            private static readonly string?[] Conditions = { "d > 0", "d > 0", "d > 1", "d > 0", "d >= 0", "d != 3", null };

            private RCase(int index, RBlock[] blocks, long depth, bool inlineTop)
            {
                Index = index;
                Blocks = blocks;
                Depth = depth;
                InlineTop = inlineTop;
                Expansion = Expand();
            }

            public int Index { get; }
            public RBlock[] Blocks { get; }
            public long Depth { get; }
            public bool InlineTop { get; }
            public Expansion Expansion { get; }

            /// <summary>A case, redrawn while it would build a network too large to compile quickly (between 400 uses and modules and the budget).</summary>
            public static RCase Draw(int index, Random r)
            {
                while (true)
                {
                    // Most cases end their recursion (how far they expand depends on the fan-out and the depth), one in ten
                    // with a fan-out of 3 to 5 from a depth of 9 to 15, which is beyond the budget (each of those costs the
                    // whole budget twice, in the generator and in the analyzer); some start too deep for the limit; the
                    // rest draw any argument and condition.
                    int mode = r.Next(10);
                    bool ends = mode < 7, explosive = mode < 1;
                    long depth = explosive ? r.Next(9, 16) : mode < 6 ? r.Next(0, 16) : r.Next(0, 21);
                    int count = r.Next(3) switch { 0 => 2, 1 => 3, _ => 1 };
                    var blocks = Enumerable.Range(0, count).Select(_ => new RBlock(
                        r.Next(2) == 0,
                        r.Next(2) == 0,
                        Enumerable.Range(0, explosive ? r.Next(3, 6) : r.Next(4) switch { 0 => 1, 1 or 2 => 2, _ => r.Next(3, 5) }).Select(_ => new RUse(
                            r.Next(count), Arguments[r.Next(ends ? 4 : Arguments.Length)], Conditions[r.Next(ends ? 4 : Conditions.Length)], r.Next(5) < 3)).ToArray(),
                        r.Next(3) == 0)).ToArray();
                    var k = new RCase(index, blocks, depth, r.Next(3) == 0);
                    var e = k.Expansion;
                    if (e.TooDeep || e.Huge || e.Uses + e.Modules <= 400) return k;
                }
            }

            public string Render()
            {
                var sb = new StringBuilder();
                sb.Append("using Dsl;\nnamespace Case").Append(Index.ToString(CultureInfo.InvariantCulture)).Append(";\n\n");
                for (int b = 0; b < Blocks.Length; b++)
                {
                    var block = Blocks[b];
                    sb.Append("[Block(\"d\"").Append(block.Add ? ", Merge = Merge.Add" : "").Append(")] ");
                    sb.Append(block.ConvFirst ? "[Conv2d(2, 1)] " : "[ReLU] ");
                    foreach (var u in block.Uses)
                    {
                        sb.Append("[Use<R").Append(u.Block).Append(">(\"").Append(u.Argument).Append('"')
                          .Append(u.When is null ? "" : ", When = \"" + u.When + "\"").Append(u.Inline ? ", Inline = true" : "").Append(")] ");
                    }
                    if (block.ConvLast) sb.Append("[Conv2d(2, 1)] ");
                    sb.Append("public partial class R").Append(b).Append(";\n");
                }
                sb.Append("\n[Input(2, 4, 4)] [Use<R0>(").Append(Depth.ToString(CultureInfo.InvariantCulture)).Append(InlineTop ? ", Inline = true" : "").Append(")] [Flatten] [Linear(2)]\npublic partial class Net;\n");
                return sb.ToString();
            }

            private Expansion Expand()
            {
                // Every use and module costs at least one step: past the budget in these alone, the case is over it.
                const long cap = 100_000;
                long uses = 0, modules = 0, expressions = 0, convs = 0;
                bool tooDeep = false;
                bool Huge() => uses + modules > cap;
                void Use(int block, long d, int nesting, bool inline)
                {
                    if (tooDeep || Huge()) return;
                    // The limit: a use inside 16 nested uses is one too many.
                    if (nesting > 16) { tooDeep = true; return; }
                    uses++;
                    var b = Blocks[block];
                    if (!inline) modules++;
                    modules++;
                    if (b.ConvFirst) convs++;
                    foreach (var u in b.Uses)
                    {
                        expressions += u.When is null ? 1 : 2;
                        if (u.When is { } when && !Holds(when, d)) continue;
                        Use(u.Block, Evaluate(u.Argument, d), nesting + 1, u.Inline);
                        if (tooDeep || Huge()) return;
                    }
                    if (b.ConvLast) { modules++; convs++; }
                }
                Use(0, Depth, 1, InlineTop);
                return new Expansion(uses, modules, expressions, convs, tooDeep, !tooDeep && Huge());
            }

            private static long Evaluate(string argument, long d) => argument switch
            {
                "d - 1" => d - 1,
                "d - 2" => d - 2,
                "d" => d,
                "d + 1" => d + 1,
                // Python's floor division, as the expressions define it.
                "d / 2" => (long)Math.Floor(d / 2.0),
                _ => throw new InvalidOperationException(argument),
            };

            private static bool Holds(string condition, long d) => condition switch
            {
                "d > 0" => d > 0,
                "d > 1" => d > 1,
                "d >= 0" => d >= 0,
                "d != 3" => d != 3,
                _ => throw new InvalidOperationException(condition),
            };
        }
    }
}
