using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Random blocks with parallel branches (Concat or Add) and a merge with the input, against a forward written here
    /// with TorchSharp's functional ops on the generated module's weights: output shapes, parameter counts and logits.
    /// Branches that change the size are DSL019 at the use, never an exception.
    /// </summary>
    public class ParallelBlockPropertyTests
    {
        private sealed record Branch(bool Pool, long Out, long Kernel, long Stride);

        private sealed record Case(int Index, long C, long H, bool Concat, Branch[] Branches, bool AddInput)
        {
            public string Name => "Branchy" + Index;

            public bool SizeKept => Branches.All(b => b.Stride == 1);

            public long Channels(Branch b) => b.Pool ? C : b.Out;

            public long OutChannels => Concat ? Branches.Sum(Channels) : Channels(Branches[0]);

            public bool Valid => SizeKept && (!AddInput || OutChannels == C);

            public string Source()
            {
                var s = new StringBuilder();
                s.AppendLine($"/// <summary>Case {Index}.</summary>");
                s.AppendLine($"[Block(Parallel = Merge.{(Concat ? "Concat" : "Add")}{(AddInput ? ", Merge = Merge.Add" : "")})]");
                for (int i = 0; i < Branches.Length; i++)
                {
                    var b = Branches[i];
                    s.AppendLine(b.Pool
                        ? $"[MaxPool2d(3, Stride = {b.Stride}, Padding = 1, Name = \"b{i}\")]"
                        : $"[Conv2d({b.Out}, {b.Kernel}, Stride = {b.Stride}, Padding = {b.Kernel / 2}, Name = \"b{i}\")]");
                }
                s.AppendLine($"public partial class {Name}Block;");
                s.AppendLine($"/// <summary>Case {Index}.</summary>");
                s.AppendLine($"[Input({C}, {H}, {H})] [Use<{Name}Block>(Name = \"block\")]");
                s.AppendLine($"public partial class {Name};");
                return s.ToString();
            }

            /// <summary>The block's forward from its declaration, on the module's weights.</summary>
            public Tensor Forward(Tensor x, IReadOnlyDictionary<string, Tensor> w)
            {
                var outputs = Branches.Select((b, i) => b.Pool
                    ? nn.functional.max_pool2d(x, 3, b.Stride, 1)
                    : nn.functional.conv2d(x, w[$"block.b{i}.weight"], w[$"block.b{i}.bias"], strides: new[] { b.Stride, b.Stride }, padding: new[] { b.Kernel / 2, b.Kernel / 2 })).ToArray();
                var y = Concat ? torch.cat(outputs, 1) : outputs.Skip(1).Aggregate(outputs[0], (a, o) => a + o);
                return AddInput ? x + y : y;
            }

            public long Parameters => Branches.Where(b => !b.Pool).Sum(b => b.Out * C * b.Kernel * b.Kernel + b.Out);
        }

        private static Case Draw(Random r, int index)
        {
            long c = r.Next(2, 7), h = r.Next(5, 11);
            bool concat = r.Next(2) == 0;
            int count = r.Next(2, 5);
            long shared = r.Next(1, 7);
            var branches = Enumerable.Range(0, count).Select(_ =>
            {
                bool pool = r.Next(4) == 0;
                long kernel = new[] { 1, 3, 5 }[r.Next(3)];
                long stride = r.Next(8) == 0 ? 2 : 1;
                return new Branch(pool, concat ? r.Next(1, 7) : shared, kernel, stride);
            }).ToArray();
            // Summed branches agree on channels: a pooling branch keeps the input's, so every conv then gives as many.
            if (!concat && branches.Any(b => b.Pool)) branches = branches.Select(b => b with { Out = c }).ToArray();
            bool addInput = r.Next(3) == 0;
            if (addInput && r.Next(4) != 0 && !concat) branches = branches.Select(b => b with { Out = c }).ToArray();
            return new Case(index, c, h, concat, branches, addInput);
        }

        [Fact]
        public void Random_parallel_blocks_agree_with_a_functional_forward()
        {
            var random = new Random(20261129);
            var cases = Enumerable.Range(0, 60).Select(i => Draw(random, i)).ToList();
            string source = "using Dsl;\nnamespace Nets;\n" + string.Concat(cases.Select(c => c.Source()));
            var run = Harness.Run(source);
            var diagnostics = DiagnosticHarness.Analyze(run.Output);
            var flagged = diagnostics.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToList();

            foreach (var c in cases.Where(c => !c.Valid))
            {
                // The use carries the problem (a size change is DSL019; an added input of other channels too).
                Assert.Contains(flagged, d => d.Id == "DSL019" && d.GetMessage().Contains("'block'", StringComparison.Ordinal)
                    && d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start).StartsWith($"Use<{c.Name}Block>", StringComparison.Ordinal));
            }
            Assert.Equal(cases.Count(c => !c.Valid), flagged.Count);
            Assert.True(cases.Count(c => c.Valid) >= 30, "too few valid cases");
            Assert.DoesNotContain(Harness.Problems(run.Output), d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal));

            var assembly = Harness.Load(run);
            foreach (var c in cases.Where(c => c.Valid))
            {
                using var scope = torch.NewDisposeScope();
                using var _ = torch.no_grad();
                var type = assembly.GetType("Nets." + c.Name, throwOnError: true)!;
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                var x = torch.randn(3, c.C, c.H, c.H);
                var expected = c.Forward(x, net.state_dict());
                var actual = net.call(x);
                Assert.Equal(new[] { 3L, c.OutChannels, c.H, c.H }, actual.shape);
                Assert.True(torch.allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"{c.Name}: max difference {(expected - actual).abs().max().item<float>()}\n{c.Source()}");
                Assert.Equal(c.Parameters, (long)type.GetField("ParameterCount")!.GetValue(null)!);
                Assert.Equal(c.Parameters, net.parameters().Sum(p => p.numel()));
            }
        }

        /// <summary>
        /// Inception-v3's InceptionE: a branch that is an inlined block ending in parallel branches of its own, inside a
        /// parallel block. Every branch keeps its own value: the inner branches do not overwrite the outer block's first.
        /// </summary>
        [Fact]
        public void A_parallel_block_inlined_into_a_branch_keeps_the_enclosing_branches()
        {
            const string source = """
                using Dsl;
                namespace Nets;
                /// <summary>Two branches.</summary>
                [Block(Parallel = Merge.Concat)] [Conv2d(3, 1, Name = "split_a")] [Conv2d(5, 1, Name = "split_b")] public partial class Split;
                /// <summary>A layer, then the split.</summary>
                [Block] [Conv2d(4, 1, Name = "pre")] [Use<Split>(Inline = true)] public partial class Branch;
                /// <summary>Three branches, the second the inlined Branch.</summary>
                [Block(Parallel = Merge.Concat)] [Conv2d(2, 1, Name = "one")] [Use<Branch>(Inline = true)] [Conv2d(6, 1, Name = "last")] public partial class Outer;
                /// <summary>The network.</summary>
                [Input(3, 5, 5)] [Use<Outer>(Name = "outer")] public partial class Nested;
                """;
            var run = Harness.Run(source);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(Harness.Load(run).GetType("Nets.Nested", throwOnError: true)!)!;
            var w = net.state_dict();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = randn(2, 3, 5, 5);
            Tensor Conv(Tensor v, string name) => nn.functional.conv2d(v, w[$"outer.{name}.weight"], w[$"outer.{name}.bias"]);
            var pre = Conv(x, "pre");
            var expected = cat(new[] { Conv(x, "one"), Conv(pre, "split_a"), Conv(pre, "split_b"), Conv(x, "last") }, 1);
            var y = net.forward(x);
            // 2 + (3 + 5) + 6 channels, as declared.
            Assert.Equal(new long[] { 2, 16, 5, 5 }, y.shape);
            Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-6), "the nested branches differ from the declaration's forward");
        }
    }
}
