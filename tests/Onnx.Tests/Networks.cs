using System;
using System.Collections.Generic;
using System.Linq;
using ResNetSample;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>Every network declared in the sample and in this project, found by reflection so new ones are covered.</summary>
    internal static class Networks
    {
        public static IReadOnlyList<Type> All { get; } =
            new[] { typeof(ModelCatalog).Assembly, typeof(Networks).Assembly }
                .SelectMany(a => a.GetTypes())
                .Where(t => typeof(IDeclaredNetwork).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .ToArray();

        /// <summary>xUnit member data: one row per network, by name.</summary>
        public static IEnumerable<object[]> Names => All.Select(t => new object[] { t.Name });

        /// <summary>A new instance of the network called <paramref name="name"/>, with <see cref="Randomize"/>d BatchNorm layers, in eval mode.</summary>
        public static nn.Module<Tensor, Tensor> Create(string name, long seed = 1)
        {
            torch.manual_seed(seed);
            var type = All.Single(t => t.Name == name);
            var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            Randomize(net);
            net.eval();
            return net;
        }

        /// <summary>
        /// Gives every BatchNorm non-trivial running statistics and affine parameters. A fresh layer has mean 0, variance
        /// 1, scale 1 and shift 0, which is the identity in eval mode: an exporter that dropped BatchNorm would pass.
        /// </summary>
        public static void Randomize(nn.Module net)
        {
            using var noGrad = torch.no_grad();
            foreach (var (_, module) in net.named_modules())
            {
                if (module is TorchSharp.Modules.GroupNorm gn)
                {
                    gn.weight!.uniform_(0.5, 1.5);
                    gn.bias!.uniform_(-0.2, 0.2);
                    continue;
                }
                if (module is not TorchSharp.Modules.BatchNorm bn) continue; // BatchNorm1d and BatchNorm2d
                bn.running_mean!.uniform_(-0.2, 0.2);
                bn.running_var!.uniform_(0.5, 1.5);
                bn.weight!.uniform_(0.5, 1.5);
                bn.bias!.uniform_(-0.2, 0.2);
            }
            // A layer scale starts at 1e-6 (its block is then almost the identity) and a LayerNorm at scale 1, shift 0.
            // Reference initialisation zeroes some weights (torchvision's ViT head and class token): a zero head gives
            // zero logits whatever the rest of the graph computes, so weights that start all zero get random values.
            foreach (var (name, parameter) in net.named_parameters())
            {
                if (name.EndsWith("layer_scale", StringComparison.Ordinal)) parameter.uniform_(0.5, 1.5);
                else if (parameter.numel() > 1 && !name.EndsWith("bias", StringComparison.Ordinal) && parameter.count_nonzero().item<long>() == 0)
                    parameter.normal_(0, 0.02);
            }
            foreach (var (_, module) in net.named_modules())
            {
                if (module is Dsl.Layers.LayerNorm2d norm)
                {
                    norm.weight.uniform_(0.5, 1.5);
                    norm.bias.uniform_(-0.2, 0.2);
                }
            }
        }

        /// <summary>
        /// A batch of <paramref name="batch"/> inputs the network takes: token ids in [0, vocabulary) for a language model
        /// (int64 [N, L]; at most 24 tokens where the length is free, so GPT-2's 1024 positions cost what a short prompt
        /// does and the free sequence length is exercised), normal values otherwise.
        /// </summary>
        public static Tensor RandomInput(nn.Module net, long batch)
        {
            var graph = Dsl.Runtime.Graph.NetworkGraph.Of((IDeclaredNetwork)net);
            var shape = new[] { batch }.Concat(InputShape(net)).ToArray();
            if (!graph.IsTokens) return torch.randn(shape);
            if (graph.AnySize) shape[1] = Math.Min(shape[1], 24);
            return torch.randint(0, graph.Vocabulary, shape, dtype: ScalarType.Int64);
        }

        /// <summary>The per-sample input shape [c, h, w].</summary>
        public static long[] InputShape(nn.Module net) => ((IDeclaredNetwork)net).Info.InputShape.ToArray();
    }
}
