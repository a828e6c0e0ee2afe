using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The recurrent kinds ([LSTM], [GRU]): PyTorch's keys and shapes, counts against the module, the two outputs, other
    /// lengths at run time, the equations against a hand computation, and their diagnostics. Agreement with PyTorch's
    /// nn.LSTM / nn.GRU on random weights is checked by the twin tests (the sample's RowLstm, GruTagger and
    /// BiLstmClassifier) and with ONNX Runtime by the ONNX parity tests.
    /// </summary>
    public class RecurrentTests
    {
        private const string Nets = """
            using Dsl;
            namespace Nets;

            [Input(7, 5)]
            [LSTM(6, RecurrentOutput.AllSteps, Layers = 2, Bidirectional = true)]
            [GRU(4, RecurrentOutput.LastStep, Bias = false)]
            [Linear(3)]
            public partial class Stack;

            [Input(2, 1)]
            [LSTM(1, RecurrentOutput.AllSteps)]
            public partial class OneLstm;

            [Input(2, 1)]
            [GRU(1, RecurrentOutput.LastStep)]
            public partial class OneGru;
            """;

        private static readonly Lazy<System.Reflection.Assembly> Built = new(() =>
        {
            var run = Harness.Run(Nets);
            var problems = Harness.Problems(run.Output);
            Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
            return Harness.Load(run);
        });

        private static nn.Module<Tensor, Tensor> Create(string name) =>
            (nn.Module<Tensor, Tensor>)Activator.CreateInstance(Built.Value.GetType("Nets." + name, throwOnError: true)!)!;

        [Fact]
        public void Stacked_bidirectional_and_bias_free_layers_have_pytorchs_keys_shapes_and_count()
        {
            using var net = Create("Stack");
            var state = net.state_dict();
            Assert.Equal(new[]
            {
                "lstm1.weight_ih_l0", "lstm1.weight_hh_l0", "lstm1.bias_ih_l0", "lstm1.bias_hh_l0",
                "lstm1.weight_ih_l0_reverse", "lstm1.weight_hh_l0_reverse", "lstm1.bias_ih_l0_reverse", "lstm1.bias_hh_l0_reverse",
                "lstm1.weight_ih_l1", "lstm1.weight_hh_l1", "lstm1.bias_ih_l1", "lstm1.bias_hh_l1",
                "lstm1.weight_ih_l1_reverse", "lstm1.weight_hh_l1_reverse", "lstm1.bias_ih_l1_reverse", "lstm1.bias_hh_l1_reverse",
                "gru1.weight_ih_l0", "gru1.weight_hh_l0",
                "fc1.weight", "fc1.bias",
            }, state.Keys.ToArray());
            Assert.Equal(new long[] { 24, 5 }, state["lstm1.weight_ih_l0"].shape);
            Assert.Equal(new long[] { 24, 12 }, state["lstm1.weight_ih_l1_reverse"].shape);   // the layer below gives 2 x 6
            Assert.Equal(new long[] { 24, 6 }, state["lstm1.weight_hh_l1"].shape);
            Assert.Equal(new long[] { 12, 12 }, state["gru1.weight_ih_l0"].shape);
            // PyTorch's count: per layer and direction 4H(F + H) + 8H; the GRU 3H(F + H); the head 4 x 3 + 3.
            long expected = 2 * (24 * (5 + 6) + 48) + 2 * (24 * (12 + 6) + 48) + 12 * (12 + 4) + 15;
            var type = net.GetType();
            Assert.Equal(expected, (long)type.GetField("ParameterCount")!.GetValue(null)!);
            Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
            // PyTorch's initialisation: every tensor uniform in +-1/sqrt(H).
            Assert.True(state["lstm1.weight_hh_l1"].abs().max().item<float>() <= 1 / Math.Sqrt(6));
            Assert.True(state["lstm1.weight_hh_l1"].abs().max().item<float>() > 0.5 / Math.Sqrt(6));
        }

        [Fact]
        public void Every_step_or_the_final_state_comes_out()
        {
            using var net = Create("Stack");
            net.eval();
            using var x = torch.randn(3, 7, 5);
            Assert.Equal(new long[] { 3, 3 }, net.call(x).shape);
            using var steps = Create("OneLstm");
            Assert.Equal(new long[] { 4, 2, 1 }, steps.call(torch.randn(4, 2, 1)).shape);
            // The layer itself reads any length (the network's declared input fixes the one it is given).
            using var layer = new Dsl.Layers.GRU(5, 4, num_layers: 2, bidirectional: true);
            Assert.Equal(new long[] { 2, 11, 8 }, layer.call(torch.randn(2, 11, 5)).shape);
            using var last = new Dsl.Layers.LSTM(5, 4, bidirectional: true, last_step: true);
            Assert.Equal(new long[] { 2, 8 }, last.call(torch.randn(2, 11, 5)).shape);
        }

        private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

        /// <summary>Sets every tensor of a one-unit layer to the given values, in registration order.</summary>
        private static void Set(nn.Module net, params double[][] values)
        {
            using var noGrad = torch.no_grad();
            var parameters = net.parameters().ToArray();
            Assert.Equal(values.Length, parameters.Length);
            for (int i = 0; i < values.Length; i++) parameters[i].copy_(torch.tensor(values[i].Select(v => (float)v).ToArray()).reshape(parameters[i].shape));
        }

        [Fact]
        public void An_lstm_computes_pytorchs_equations_with_gates_in_order_input_forget_cell_output()
        {
            using var net = Create("OneLstm");
            double[] wi = { 0.5, -0.3, 0.8, 0.2 }, wh = { -0.4, 0.6, 0.1, 0.9 }, bi = { 0.1, 0.2, -0.1, 0.05 }, bh = { 0.0, -0.2, 0.3, 0.1 };
            Set(net, wi, wh, bi, bh);
            double[] input = { 0.7, -1.2 };
            double h = 0, c = 0;
            var expected = new double[2];
            for (int t = 0; t < 2; t++)
            {
                double Gate(int g) => wi[g] * input[t] + bi[g] + wh[g] * h + bh[g];
                double i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), g = Math.Tanh(Gate(2)), o = Sigmoid(Gate(3));
                c = f * c + i * g;
                h = o * Math.Tanh(c);
                expected[t] = h;
            }
            using var y = net.call(torch.tensor(input.Select(v => (float)v).ToArray()).reshape(1, 2, 1));
            Assert.Equal(expected[0], y[0, 0, 0].item<float>(), 5);
            Assert.Equal(expected[1], y[0, 1, 0].item<float>(), 5);
        }

        [Fact]
        public void A_gru_computes_pytorchs_equations_with_the_reset_gate_after_the_hidden_projection()
        {
            using var net = Create("OneGru");
            double[] wi = { 0.5, -0.3, 0.8 }, wh = { -0.4, 0.6, 0.9 }, bi = { 0.1, 0.2, -0.1 }, bh = { 0.0, -0.2, 0.3 };
            Set(net, wi, wh, bi, bh);
            double[] input = { 0.7, -1.2 };
            double h = 0;
            for (int t = 0; t < 2; t++)
            {
                double r = Sigmoid(wi[0] * input[t] + bi[0] + wh[0] * h + bh[0]);
                double z = Sigmoid(wi[1] * input[t] + bi[1] + wh[1] * h + bh[1]);
                double n = Math.Tanh(wi[2] * input[t] + bi[2] + r * (wh[2] * h + bh[2]));
                h = (1 - z) * n + z * h;
            }
            using var y = net.call(torch.tensor(input.Select(v => (float)v).ToArray()).reshape(1, 2, 1));
            Assert.Equal(new long[] { 1, 1 }, y.shape);
            Assert.Equal(h, y[0, 0].item<float>(), 5);
        }

        private static string[] Diagnostics(string body)
        {
            var compilation = DiagnosticHarness.Compile("using Dsl;\nnamespace Nets;\n" + body);
            return DiagnosticHarness.Analyze(compilation).Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }

        [Fact]
        public void Images_and_bad_arguments_are_reported_at_the_layer()
        {
            var d = Assert.Single(Diagnostics("[Input(3, 8, 8)] [LSTM(4, RecurrentOutput.LastStep)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'lstm1' has input = [3, 8, 8], but it must be steps [L, F] (declare [Input(steps, features)], or put [Tokens] before it)", d);
            d = Assert.Single(Diagnostics("[Input(5, 3)] [GRU(4, RecurrentOutput.AllSteps, Layers = 0)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'gru1' has Layers = 0, but it must be at least 1", d);
            d = Assert.Single(Diagnostics("[Input(5, 3)] [LSTM(4, RecurrentOutput.AllSteps, Dropout = 1)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'lstm1' has Dropout = 1, but it must be in [0, 1)", d);
            d = Assert.Single(Diagnostics("[Input(5, 3)] [LSTM(4, (RecurrentOutput)2)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'lstm1' has output = 2, but it must be RecurrentOutput.AllSteps or RecurrentOutput.LastStep", d);
            d = Assert.Single(Diagnostics("[Input(5, 3)] [LSTM(0, RecurrentOutput.AllSteps)]\npublic partial class Net;"));
            Assert.StartsWith("DSL008 'lstm1' has hiddenSize = 0, but it must be at least 1", d);
        }
    }
}
