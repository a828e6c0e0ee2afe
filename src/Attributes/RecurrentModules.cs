using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Layers
{
    /// <summary>
    /// The recurrent layers of <c>[LSTM]</c> and <c>[GRU]</c>: PyTorch's <c>nn.LSTM</c> / <c>nn.GRU</c> with
    /// <c>batch_first=True</c> and zero initial states, with PyTorch's parameters, state_dict keys
    /// (<c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>, <c>_reverse</c> for the
    /// backward direction), initialisation (every tensor uniform in ±1/sqrt(H)) and equations, and a Tensor -> Tensor
    /// forward that returns every step's output or the final hidden state.
    /// </summary>
    /// <remarks>
    /// The steps are written out with TorchSharp's tensor operations rather than calling TorchSharp's <c>nn.LSTM</c>:
    /// that module keeps its parameters in native code under its own name, so a layer holding it would have keys
    /// <c>rnn.lstm.weight_ih_l0</c> instead of PyTorch's <c>rnn.weight_ih_l0</c>, and it returns a tuple. The input
    /// projection of every step is one matrix product; only the hidden projection runs step by step, as in PyTorch's
    /// own CPU kernel. Any device and floating type works, as for every tensor operation.
    /// </remarks>
    public abstract class RecurrentLayer : nn.Module<Tensor, Tensor>
    {
        private readonly long _hidden, _layers;
        private readonly bool _bidirectional, _lastStep;
        private readonly double _dropout;
        private readonly List<Parameter?[]> _cells = new();

        /// <param name="name">The module's class name.</param>
        /// <param name="gates">Gates per step: 4 for an LSTM, 3 for a GRU.</param>
        /// <param name="input_size">Features of each input step F.</param>
        /// <param name="hidden_size">Features of the hidden state H.</param>
        /// <param name="num_layers">Stacked layers.</param>
        /// <param name="bias">Whether the layers have biases.</param>
        /// <param name="dropout">Dropout on the outputs of every layer but the last, in training.</param>
        /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
        /// <param name="last_step">Return the last layer's final hidden state [N, D*H] instead of every step's output [N, L, D*H].</param>
        protected RecurrentLayer(string name, int gates, long input_size, long hidden_size, long num_layers, bool bias, double dropout, bool bidirectional, bool last_step)
            : base(name)
        {
            if (input_size < 1 || hidden_size < 1 || num_layers < 1)
                throw new ArgumentException($"A recurrent layer needs input_size, hidden_size and num_layers of at least 1, not {input_size}, {hidden_size}, {num_layers}.");
            if (!(dropout >= 0 && dropout < 1)) throw new ArgumentException($"dropout must be in [0, 1), not {dropout}.", nameof(dropout));
            _hidden = hidden_size;
            _layers = num_layers;
            _bidirectional = bidirectional;
            _lastStep = last_step;
            _dropout = dropout;
            int directions = bidirectional ? 2 : 1;
            double bound = 1.0 / Math.Sqrt(hidden_size);
            for (long layer = 0; layer < num_layers; layer++)
            {
                long inputs = layer == 0 ? input_size : directions * hidden_size;
                for (int direction = 0; direction < directions; direction++)
                {
                    string suffix = "_l" + layer + (direction == 1 ? "_reverse" : "");
                    // PyTorch's registration order: weight_ih, weight_hh, bias_ih, bias_hh, per layer and direction.
                    var cell = new Parameter?[]
                    {
                        Uniform("weight_ih" + suffix, bound, gates * hidden_size, inputs),
                        Uniform("weight_hh" + suffix, bound, gates * hidden_size, hidden_size),
                        bias ? Uniform("bias_ih" + suffix, bound, gates * hidden_size) : null,
                        bias ? Uniform("bias_hh" + suffix, bound, gates * hidden_size) : null,
                    };
                    _cells.Add(cell);
                }
            }
        }

        private Parameter Uniform(string key, double bound, params long[] shape)
        {
            var parameter = new Parameter(torch.empty(shape));
            using (no_grad()) parameter.uniform_(-bound, bound);
            register_parameter(key, parameter);
            return parameter;
        }

        /// <summary>One direction of one layer over the steps of <paramref name="projected"/> (the input projection of every step, [N, L, G*H]).</summary>
        /// <returns>Every step's hidden state [N, L, H] and the final one [N, H].</returns>
        protected abstract (Tensor Steps, Tensor Final) Run(Tensor projected, Tensor weightHh, Tensor? biasHh, bool reverse);

        /// <summary>Features of the hidden state H.</summary>
        protected long Hidden => _hidden;

        /// <inheritdoc/>
        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var x = input;
            int directions = _bidirectional ? 2 : 1;
            var finals = new Tensor[directions];
            for (int layer = 0; layer < _layers; layer++)
            {
                var outputs = new Tensor[directions];
                for (int direction = 0; direction < directions; direction++)
                {
                    var cell = _cells[layer * directions + direction];
                    // Under mixed precision the weights are used in the input's 16-bit type (InputType).
                    var projected = nn.functional.linear(x, InputType.Of(cell[0], x)!, InputType.Of(cell[2], x));
                    (outputs[direction], finals[direction]) = Run(projected, InputType.Of(cell[1], x)!, InputType.Of(cell[3], x), reverse: direction == 1);
                }
                x = directions == 1 ? outputs[0] : torch.cat(outputs, 2);
                // PyTorch's dropout between layers: on every layer's output but the last.
                if (layer < _layers - 1 && _dropout > 0 && training) x = nn.functional.dropout(x, _dropout, training);
            }
            var result = _lastStep ? (directions == 1 ? finals[0] : torch.cat(finals, 1)) : x;
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>The steps in reading order: 0, 1, ..., L-1, or backwards.</summary>
        protected static IEnumerable<long> Order(long length, bool reverse)
        {
            for (long i = 0; i < length; i++) yield return reverse ? length - 1 - i : i;
        }
    }

    /// <summary>
    /// <c>nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first=True, dropout, bidirectional)</c> from zero
    /// states: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of x W_ih^T + b_ih + h W_hh^T + b_hh (in that order);
    /// c' = f c + i g; h' = o tanh(c').
    /// </summary>
    public sealed class LSTM : RecurrentLayer
    {
        /// <inheritdoc cref="RecurrentLayer(string, int, long, long, long, bool, double, bool, bool)"/>
        public LSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, double dropout = 0.0, bool bidirectional = false, bool last_step = false)
            : base(nameof(LSTM), 4, input_size, hidden_size, num_layers, bias, dropout, bidirectional, last_step) { }

        /// <inheritdoc/>
        protected override (Tensor Steps, Tensor Final) Run(Tensor projected, Tensor weightHh, Tensor? biasHh, bool reverse)
        {
            long n = projected.shape[0], length = projected.shape[1];
            var h = torch.zeros(new[] { n, Hidden }, projected.dtype, projected.device);
            var c = torch.zeros(new[] { n, Hidden }, projected.dtype, projected.device);
            var steps = new Tensor[length];
            foreach (long t in Order(length, reverse))
            {
                var gates = projected.select(1, t) + nn.functional.linear(h, weightHh, biasHh);
                var g = gates.chunk(4, 1);
                c = g[1].sigmoid() * c + g[0].sigmoid() * g[2].tanh();
                h = g[3].sigmoid() * c.tanh();
                steps[t] = h;
            }
            return (torch.stack(steps, 1), h);
        }
    }

    /// <summary>
    /// <c>nn.GRU(input_size, hidden_size, num_layers, bias, batch_first=True, dropout, bidirectional)</c> from a zero
    /// state: r, z = sigmoid of the input and hidden projections' first two thirds; n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn));
    /// h' = (1 - z) n + z h.
    /// </summary>
    public sealed class GRU : RecurrentLayer
    {
        /// <inheritdoc cref="RecurrentLayer(string, int, long, long, long, bool, double, bool, bool)"/>
        public GRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, double dropout = 0.0, bool bidirectional = false, bool last_step = false)
            : base(nameof(GRU), 3, input_size, hidden_size, num_layers, bias, dropout, bidirectional, last_step) { }

        /// <inheritdoc/>
        protected override (Tensor Steps, Tensor Final) Run(Tensor projected, Tensor weightHh, Tensor? biasHh, bool reverse)
        {
            long n = projected.shape[0], length = projected.shape[1];
            var h = torch.zeros(new[] { n, Hidden }, projected.dtype, projected.device);
            var steps = new Tensor[length];
            foreach (long t in Order(length, reverse))
            {
                var gi = projected.select(1, t).chunk(3, 1);
                var gh = nn.functional.linear(h, weightHh, biasHh).chunk(3, 1);
                var r = (gi[0] + gh[0]).sigmoid();
                var z = (gi[1] + gh[1]).sigmoid();
                var candidate = (gi[2] + r * gh[2]).tanh();
                h = (1 - z) * candidate + z * h;
                steps[t] = h;
            }
            return (torch.stack(steps, 1), h);
        }
    }
}
