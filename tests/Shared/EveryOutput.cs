using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Onnx;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Tests.Shared
{
    /// <summary>
    /// Every output of a network, by name, as the exporters name them: a network with declared outputs (<c>[Output]</c>)
    /// gives each one its mode computes (auxiliary ones in training mode only), any other network its one output as
    /// <see cref="OnnxExporter.OutputName"/>. The catalogue-wide checks compare TorchSharp, ONNX Runtime and the PyTorch
    /// twin through it, so a network with several outputs is checked on each of them. Linked into the test projects
    /// that walk the catalogue.
    /// </summary>
    internal static class EveryOutput
    {
        /// <summary>The outputs of <paramref name="net"/> on <paramref name="input"/> in its current mode, detached copies by name.</summary>
        public static Dictionary<string, Tensor> Of(nn.Module<Tensor, Tensor> net, Tensor input)
        {
            if (net is not IMultiOutputNetwork multi)
                return new Dictionary<string, Tensor>(StringComparer.Ordinal) { [OnnxExporter.OutputName] = net.call(input).detach() };
            using var outputs = multi.ForwardOutputs(input);
            return outputs.All.Where(o => o.Value is not null).ToDictionary(o => o.Key, o => o.Value!.detach().clone(), StringComparer.Ordinal);
        }

        /// <summary>The per-sample shape of each output the eval-mode forward (and so the ONNX model) computes, by name, known at compile time.</summary>
        public static Dictionary<string, long[]> EvalShapes(NetworkInfo info) => info.Outputs.Count == 0
            ? new Dictionary<string, long[]>(StringComparer.Ordinal) { [OnnxExporter.OutputName] = info.OutputShape.ToArray() }
            : info.Outputs.Where(o => !o.Auxiliary).ToDictionary(o => o.Name, o => o.Shape.ToArray(), StringComparer.Ordinal);

        /// <summary>
        /// Asserts that <paramref name="actual"/> has the outputs of <paramref name="expected"/>, no more and no fewer, each
        /// of its shape and within <paramref name="tolerance"/> of the output's scale (|actual - expected| &lt;= tolerance *
        /// max(1, max |expected|)); returns the largest relative difference, for the log.
        /// </summary>
        public static double AssertClose(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, double tolerance, string what)
        {
            Assert.True(expected.Keys.OrderBy(k => k, StringComparer.Ordinal).SequenceEqual(actual.Keys.OrderBy(k => k, StringComparer.Ordinal)),
                $"{what}: outputs {string.Join(", ", actual.Keys)}, expected {string.Join(", ", expected.Keys)}");
            double worst = 0;
            foreach (var (name, e) in expected)
            {
                var a = actual[name];
                Assert.True(e.shape.SequenceEqual(a.shape), $"{what}, output '{name}': shape {Shape.Format(a.shape)}, expected {Shape.Format(e.shape)}");
                double scale = Math.Max(1, e.abs().max().item<float>());
                double error = (a - e).abs().max().item<float>();
                Assert.True(error <= tolerance * scale, $"{what}, output '{name}': max |difference| = {error:E2}, allowed {tolerance * scale:E2} (largest value {scale:G3})");
                worst = Math.Max(worst, error / scale);
            }
            return worst;
        }
    }
}
