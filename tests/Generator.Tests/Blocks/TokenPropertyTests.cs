using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Random small vision transformers (patch conv, Tokens, optional ClassToken and PositionEmbedding, a residual
    /// attention block with LayerNorm and MultiheadSelfAttention, SelectToken, Linear) against a forward written here
    /// with TorchSharp's functional ops on the generated module's weights (all randomised): shapes, counts and logits.
    /// </summary>
    public class TokenPropertyTests
    {
        private sealed record Case(int Index, long C, long Patch, long Grid, long Heads, long HeadDim, bool ClassToken, bool Position, long Select, long Classes)
        {
            public string Name => "Vit" + Index;
            public long D => Heads * HeadDim;
            public long Tokens => Grid * Grid + (ClassToken ? 1 : 0);
            public long H => Patch * Grid;

            public string Source() => $$"""
                /// <summary>Case {{Index}}'s attention: x + self_attention(ln(x)).</summary>
                [Block(Merge = Merge.Add)]
                [LayerNorm(Name = "ln")]
                [MultiheadSelfAttention({{Heads}}, Name = "sa")]
                public partial class {{Name}}Attention;

                /// <summary>Case {{Index}}.</summary>
                [Input({{C}}, {{H}}, {{H}})]
                [Conv2d({{D}}, {{Patch}}, Stride = {{Patch}}, Name = "proj")]
                [Tokens(Name = "tokens")]
                {{(ClassToken ? "[ClassToken(Name = \"cls\")]" : "")}}
                {{(Position ? "[PositionEmbedding(Name = \"pos\")]" : "")}}
                [Use<{{Name}}Attention>(Name = "attn")]
                [SelectToken({{Select}}, Name = "pick")]
                [Linear({{Classes}}, Name = "head")]
                public partial class {{Name}};

                """;

            public Tensor Forward(Tensor x, IReadOnlyDictionary<string, Tensor> w)
            {
                var t = nn.functional.conv2d(x, w["proj.weight"], w["proj.bias"], strides: new[] { Patch, Patch }).flatten(2).transpose(1, 2);
                if (ClassToken) t = torch.cat(new[] { w["cls"].expand(x.shape[0], -1, -1), t }, 1);
                if (Position) t = t + w["pos"];
                var y = nn.functional.layer_norm(t, new[] { D }, w["attn.ln.weight"], w["attn.ln.bias"], 1e-5);
                var qkv = nn.functional.linear(y, w["attn.sa.in_proj_weight"], w["attn.sa.in_proj_bias"]).chunk(3, -1);
                Tensor Heads_(Tensor v) => v.reshape(x.shape[0], Tokens, Heads, HeadDim).transpose(1, 2);
                var scores = torch.matmul(Heads_(qkv[0]), Heads_(qkv[1]).transpose(-2, -1)) / Math.Sqrt(HeadDim);
                var attended = torch.matmul(scores.softmax(-1), Heads_(qkv[2])).transpose(1, 2).reshape(x.shape[0], Tokens, D);
                t = t + nn.functional.linear(attended, w["attn.sa.out_proj.weight"], w["attn.sa.out_proj.bias"]);
                return nn.functional.linear(t.select(1, Select), w["head.weight"], w["head.bias"]);
            }

            public long Parameters =>
                D * C * Patch * Patch + D + (ClassToken ? D : 0) + (Position ? Tokens * D : 0)
                + 2 * D + 3 * D * D + 3 * D + D * D + D + Classes * D + Classes;
        }

        [Fact]
        public void Random_token_networks_agree_with_a_functional_forward()
        {
            var random = new Random(20261129);
            var cases = Enumerable.Range(0, 24).Select(i =>
            {
                long grid = random.Next(1, 4);
                bool cls = random.Next(2) == 0;
                long tokens = grid * grid + (cls ? 1 : 0);
                return new Case(i, random.Next(1, 4), new long[] { 2, 4 }[random.Next(2)], grid, new long[] { 1, 2, 4 }[random.Next(3)],
                    new long[] { 2, 4 }[random.Next(2)], cls, random.Next(2) == 0, random.Next(0, (int)tokens), random.Next(2, 6));
            }).ToList();
            var source = new StringBuilder("using Dsl;\nnamespace Nets;\n");
            foreach (var c in cases) source.Append(c.Source());
            var run = Harness.Run(source.ToString());
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var assembly = Harness.Load(run);

            foreach (var c in cases)
            {
                using var scope = torch.NewDisposeScope();
                using var _ = torch.no_grad();
                var type = assembly.GetType("Nets." + c.Name, throwOnError: true)!;
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                net.eval();
                var w = net.state_dict();
                // Away from their initial values (a zero class token, unit LayerNorm), so a wrong wiring shows.
                foreach (var tensor in w.Values) tensor.uniform_(-0.5, 0.5);
                var x = torch.randn(3, c.C, c.H, c.H);
                var expected = c.Forward(x, w);
                var actual = net.call(x);
                Assert.Equal(new[] { 3L, c.Classes }, actual.shape);
                Assert.True(torch.allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"{c}: max difference {(expected - actual).abs().max().item<float>()}");
                Assert.Equal(c.Parameters, (long)type.GetField("ParameterCount")!.GetValue(null)!);
                Assert.Equal(c.Parameters, net.parameters().Sum(p => p.numel()));
            }
        }
    }
}
