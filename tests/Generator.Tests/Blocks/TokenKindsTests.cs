using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// The token kinds (Tokens, ClassToken, PositionEmbedding, MultiheadSelfAttention, SelectToken), learned tensors of a
    /// module (parameter nodes), Linear on tokens and inlined block uses, on a small transformer; and their diagnostics.
    /// </summary>
    public class TokenKindsTests
    {
        private const string Small = """
            using Dsl;
            namespace Nets;

            /// <summary>Attention half.</summary>
            [Block("heads", Merge = Merge.Add)]
            [LayerNorm(Eps = 1e-6, Name = "ln_1")]
            [MultiheadSelfAttention(1, Name = "self_attention", With = "Heads = heads")]
            public partial class Attn;

            /// <summary>MLP half.</summary>
            [Block("hidden", Merge = Merge.Add)]
            [LayerNorm(Name = "ln_2")]
            [Linear(1, Name = "fc1", With = "OutFeatures = hidden")]
            [GELU(Name = "act")]
            [Linear(1, Name = "fc2", With = "OutFeatures = last")]
            public partial class Mlp;

            /// <summary>Both halves inlined.</summary>
            [Block("heads", "hidden")]
            [Use<Attn>("heads", Inline = true)]
            [Use<Mlp>("hidden", Inline = true)]
            public partial class Layer;

            /// <summary>Holds a learned tensor, so it is a class, not a Sequential.</summary>
            [Block]
            [PositionEmbedding(Std = 0.5)]
            [Use<Layer>(2, 32, Name = "layer0")]
            [Use<Layer>(4, 32, Name = "layer1")]
            public partial class Encoder;

            /// <summary>A small ViT.</summary>
            [Input(3, 16, 16)]
            [Conv2d(8, 4, Stride = 4, Name = "patch")]
            [Tokens]
            [ClassToken]
            [Use<Encoder>(Name = "encoder")]
            [SelectToken]
            [Linear(5, Name = "head")]
            public partial class Tiny;
            """;

        [Fact]
        public void Small_transformer_has_its_keys_shapes_and_counts()
        {
            var run = Harness.Run(Small);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            var type = Harness.Load(run).GetType("Nets.Tiny", throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var state = net.state_dict();
            var keys = state.Keys.ToList();
            Assert.Equal("class_token", keys[0]);
            Assert.Equal(new long[] { 1, 1, 8 }, state["class_token"].shape);
            Assert.Equal(new long[] { 1, 17, 8 }, state["encoder.pos_embedding"].shape);
            // Inlined halves: the layer's children are ln_1, self_attention, ln_2, fc1, act, fc2 directly.
            Assert.Contains("encoder.layer0.ln_1.weight", keys);
            Assert.Equal(new long[] { 24, 8 }, state["encoder.layer1.self_attention.in_proj_weight"].shape);
            Assert.Contains("encoder.layer1.self_attention.out_proj.bias", keys);
            Assert.Equal(new long[] { 32, 8 }, state["encoder.layer0.fc1.weight"].shape);
            Assert.Equal(new long[] { 8, 32 }, state["encoder.layer0.fc2.weight"].shape);
            Assert.Equal(
                new[] { "ln_1", "self_attention", "ln_2", "fc1", "act", "fc2" },
                ((nn.Module)net.named_modules().Single(m => m.name == "encoder.layer0").module).named_children().Select(c => c.name).ToArray());
            // The encoder's pos_embedding starts normal with the declared std; the class token at zero.
            Assert.True(state["encoder.pos_embedding"].std().item<float>() is > 0.3f and < 0.7f);
            Assert.Equal(0f, state["class_token"].abs().max().item<float>());

            long declared = (long)type.GetField("ParameterCount")!.GetValue(null)!;
            Assert.Equal(net.parameters().Sum(p => p.numel()), declared);
            var info = ((IDeclaredNetwork)net).Info;
            Assert.Equal(declared, info.TotalParameters);
            Assert.Equal(8L, info.OwnParameters);
            using var _ = no_grad();
            net.eval();
            using var x = torch.randn(3, 3, 16, 16);
            using var y = net.call(x);
            Assert.Equal(new long[] { 3, 5 }, y.shape);
            // Each sample's logits depend on that sample only (the class token is expanded over the batch, not mixed).
            using var first = net.call(x.narrow(0, 0, 1));
            Assert.True((first - y.narrow(0, 0, 1)).abs().max().item<float>() < 1e-5);
        }

        private static string[] Diagnostics(string body)
        {
            var compilation = DiagnosticHarness.Compile("using Dsl;\nnamespace Nets;\n" + body);
            return DiagnosticHarness.Analyze(compilation).Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }

        [Fact]
        public void Heads_must_divide_the_embedding_dimension()
        {
            var d = Assert.Single(Diagnostics("[Input(3, 8, 8)] [Conv2d(6, 4, Stride = 4)] [Tokens] [MultiheadSelfAttention(4)]\npublic partial class Net;"));
            Assert.StartsWith("DSL040 'attention' has 4 heads, which do not divide its model dimension 6; choose a divisor (1, 2, 3, 6)", d);
        }

        [Fact]
        public void Token_kinds_need_tokens()
        {
            var d = Assert.Single(Diagnostics("[Input(3, 8, 8)] [Flatten] [ClassToken]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'class_token' has input = [192], but it must be tokens [L, D]", d);
            d = Assert.Single(Diagnostics("[Input(3, 8, 8)] [MultiheadSelfAttention(1)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'attention' has input = [3, 8, 8]", d);
            d = Assert.Single(Diagnostics("[Input(3, 8, 8)] [Tokens] [SelectToken(64)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'token' has index = 64, but it must be less than the number of tokens 64", d);
        }

        [Fact]
        public void A_learned_tensor_in_a_sequential_and_inline_into_a_sequential_are_reported()
        {
            // A block holding a tensor (or inlining a block) is a class; its Body is still a Sequential.
            var d = Assert.Single(Diagnostics("""
                /// <summary>A tensor in a Body.</summary>
                [Block(Body = "body")] [PositionEmbedding] public partial class Pe;
                /// <summary>Net.</summary>
                [Input(3, 8, 8)] [Tokens] [Use<Pe>] public partial class Net;
                """));
            Assert.StartsWith("DSL018", d);
            Assert.Contains("[PositionEmbedding] is a learned tensor of the module that holds it, and a Sequential holds none", d);
            d = Assert.Single(Diagnostics("""
                /// <summary>Holds a tensor.</summary>
                [Block] [PositionEmbedding] public partial class Pe;
                /// <summary>Inlines it into its Body.</summary>
                [Block(Body = "body")] [Use<Pe>(Inline = true)] [Identity] public partial class Seq;
                /// <summary>Net.</summary>
                [Input(3, 8, 8)] [Tokens] [Use<Seq>] public partial class Net;
                """));
            Assert.StartsWith("DSL018", d);
            Assert.Contains("Inline puts the block's layers into the module that uses it", d);
        }

        [Fact]
        public void Inlined_layers_may_not_take_a_name_of_the_enclosing_module()
        {
            var d = Assert.Single(Diagnostics("""
                /// <summary>Half.</summary>
                [Block(Merge = Merge.Add)] [LayerNorm(Name = "ln")] public partial class Half;
                /// <summary>Two halves with the same layer name.</summary>
                [Block] [Use<Half>(Inline = true)] [Use<Half>(Inline = true)] public partial class Both;
                /// <summary>Net.</summary>
                [Input(3, 8, 8)] [Tokens] [Use<Both>] public partial class Net;
                """));
            Assert.StartsWith("DSL013 Layer name 'ln' cannot be used because another layer or parameter of 'both1' already has it", d);
        }
    }
}
