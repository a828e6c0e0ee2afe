using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>A generated network checked layer by layer against the same layers built in plain TorchSharp.</summary>
    internal static class PlainBuild
    {
        /// <summary>
        /// Creates <paramref name="typeName"/> from <paramref name="run"/>, gives <paramref name="plain"/>[i] the weights of
        /// the network's i-th child, and runs both on one random batch of <paramref name="input"/>: every child's output
        /// equals the plain layer's, with the shape the network's Info states; the parameter count is the plain layers'.
        /// </summary>
        public static NetworkInfo AssertSame(Harness.GeneratorRun run, string typeName, long[] input, params nn.Module<Tensor, Tensor>[] plain)
        {
            var type = Harness.Load(run).GetType(typeName, throwOnError: true)!;
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            var children = net.named_children().ToArray();
            Assert.Equal(plain.Length, children.Length);
            using (no_grad())
            {
                for (int i = 0; i < plain.Length; i++)
                    foreach (var (key, value) in plain[i].state_dict()) value.copy_(children[i].module.state_dict()[key]);
            }
            Assert.Equal(plain.Sum(m => m.parameters().Sum(p => p.numel())), info.TotalParameters);
            net.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = randn(input);
            var expected = x;
            for (int i = 0; i < plain.Length; i++)
            {
                x = ((nn.Module<Tensor, Tensor>)children[i].module).forward(x);
                expected = plain[i].forward(expected);
                Assert.Equal(expected.shape, x.shape);
                Assert.Equal(info.TopLevel[i].OutputShape.WithBatch(input[0]), x.shape);
                Assert.True(x.allclose(expected, rtol: 1e-5, atol: 1e-5), children[i].name + " differs from the plain build");
            }
            return info;
        }
    }
}
