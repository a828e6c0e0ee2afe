using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[LSTM(hiddenSize, output, Layers, Bidirectional, Dropout, Bias)]</c> and <c>[GRU(...)]</c>: a recurrent layer
    /// over steps [L, F] (batch first), as <c>nn.LSTM</c> / <c>nn.GRU</c> with PyTorch's keys; the output is every
    /// step's [L, D*H] or the final hidden state [D*H] (D = 2 when bidirectional). The module is
    /// <c>Dsl.Layers.LSTM</c> / <c>GRU</c>.
    /// </summary>
    internal sealed record RecurrentSpec(string? Name, string Cell, int HiddenSize, int Output, int Layers, bool Bidirectional, double Dropout, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => Cell;
        public override string NamePrefix => Cell == "LSTM" ? "lstm" : "gru";

        /// <summary>Gates per step: PyTorch stacks them in one weight of 4H (LSTM: i, f, g, o) or 3H (GRU: r, z, n) rows.</summary>
        public int Gates => GatesOf(Cell);

        /// <summary>Whether the layer passes on its final hidden state (<c>RecurrentOutput.LastStep</c>) rather than every step.</summary>
        public bool LastStep => Output == 1;

        public static int GatesOf(string cell) => cell == "LSTM" ? 4 : 3;

        [Reads("LSTMAttribute")]
        public static LayerSpec ReadLstm(AttributeReader a) => Read(a, "LSTM");

        [Reads("GRUAttribute")]
        public static LayerSpec ReadGru(AttributeReader a) => Read(a, "GRU");

        private static LayerSpec Read(AttributeReader a, string cell) =>
            new RecurrentSpec(a.Name, cell, a.Int(0), a.Int(1), a.Named("Layers", 1), a.Named("Bidirectional", false), a.Named("Dropout", 0.0), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("hiddenSize", HiddenSize, 1);
            if (Output is not (0 or 1)) v.Invalid("output", Output, "RecurrentOutput.AllSteps or RecurrentOutput.LastStep");
            v.AtLeast("Layers", Layers, 1);
            if (!(Dropout >= 0 && Dropout < 1)) v.Invalid("Dropout", Dropout, "in [0, 1)");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
            if (x.Shape.Count != 2)
            {
                b.Report(ProblemCode.InvalidValue, null, path, "input", GraphBuilder.Format(x.Shape),
                    "steps [L, F] (declare [Input(steps, features)], or put [Tokens] before it)");
                return x;
            }
            long length = x.Shape[0], features = x.Shape[1], hidden = HiddenSize, gates = Gates, directions = Bidirectional ? 2 : 1;
            long parameters = 0, multiplyAdds = 0;
            for (long layer = 0; layer < Layers; layer++)
            {
                long inputs = layer == 0 ? features : directions * hidden;
                parameters = b.Checked(() => parameters + directions * (gates * hidden * (inputs + hidden) + (Bias ? 2 * gates * hidden : 0)), path, "hiddenSize");
                // Input and hidden projections at every step; the gate arithmetic is not counted (as for activations).
                multiplyAdds = b.Checked(() => multiplyAdds + directions * length * gates * hidden * (inputs + hidden), path, "hiddenSize");
                if (b.Failed) return x;
            }
            var output = LastStep ? GraphNode.Dims(directions * hidden) : GraphNode.Dims(length, directions * hidden);
            var args = new[]
            {
                Literal.Arg("input_size", features),
                Literal.Arg("hidden_size", hidden),
                Literal.Arg("num_layers", (long)Layers, 1),
                Literal.Arg("bias", Bias, true),
                Literal.Arg("dropout", Dropout, 0.0),
                Literal.Arg("bidirectional", Bidirectional, false),
                Literal.Arg("last_step", LastStep, false),
            };
            return b.Leaf(name, Cell, x, output, parameters, multiplyAdds, LastStep ? SizeRule.Fixed : SizeRule.Follows, args, ownModule: true,
                // ONNX's LSTM and GRU read the gates in another order: the runtime reorders PyTorch's weights.
                rendering: Cell == "LSTM" ? LstmRendering : GruRendering, onnx: Function(Cell == "LSTM" ? "lstm" : "gru"), saves: new Steps(), init: Init);
        }

        /// <summary>
        /// A recurrent layer's weights are not one weight and bias: rules reach the module and its tensors by path
        /// (<see cref="ParameterNames"/>).
        /// </summary>
        private static readonly LeafInit Init = new ByName();

        private sealed record ByName() : LeafInit((string?)null)
        {
            public override IEnumerable<InitTarget> Targets(GraphNode node)
            {
                yield return new InitTarget(node.Path, node.ModuleType, 2, false);
                foreach (var name in ParameterNames(BackwardTape.Int(node, "num_layers", 1), BackwardTape.Bool(node, "bidirectional"), HasBias(node)))
                    yield return new InitTarget(node.Path + "." + name, null, name.StartsWith("weight", System.StringComparison.Ordinal) ? 2 : 1, true);
            }
        }

        /// <summary>
        /// nn.LSTM and nn.GRU in training (measured with torch 1.13 on the CPU, both cells alike): each layer saves its input
        /// (L x F, once for both directions) and 7 H values per step and direction; with dropout between layers, each mask.
        /// </summary>
        private sealed record Steps : SavedForBackward
        {
            public override BackwardTape.Tensor Record(BackwardTape tape, GraphNode node, BackwardTape.Tensor x)
            {
                long length = x.Shape[0], hidden = BackwardTape.Int(node, "hidden_size", 1), layers = BackwardTape.Int(node, "num_layers", 1);
                long directions = BackwardTape.Bool(node, "bidirectional") ? 2 : 1;
                var input = x;
                for (long layer = 0; layer < layers; layer++)
                {
                    tape.Save(input);
                    tape.Save(tape.Fresh(new[] { directions * length, 7 * hidden }));
                    input = tape.Fresh(new[] { length, directions * hidden });
                    if (layer < layers - 1 && BackwardTape.Double(node, "dropout") > 0)
                    {
                        tape.Save(tape.Fresh(input.Shape));   // the mask; the masked output is the next layer's input
                        input = tape.Fresh(input.Shape);
                    }
                }
                return tape.Fresh(node.Output);
            }
        }

        /// <summary>
        /// nn.LSTM / nn.GRU (batch first) returning one tensor, classes of the twin's helper files. Autocast: this
        /// library's recurrent layers compute their gates with their own cells, not through the ATen recurrent operations
        /// the lists name (mkldnn_rnn_layer on the CPU, lstm_cell and gru_cell on CUDA): float32, as an operation
        /// autocast does not know.
        /// </summary>
        private static readonly LeafRendering LstmRendering = Recurrent("LSTM"), GruRendering = Recurrent("GRU");

        private static LeafRendering Recurrent(string cell) => LeafRendering.Module(
            PyTorchConstructor.Of(cell, "input_size*", "hidden_size*", "num_layers", "bias", "dropout", "bidirectional", "last_step"),
            new AutocastRule("this library's " + cell + " cells", AutocastPolicy.Float32, AutocastPolicy.Float32)) with { Family = LayerFamily.Dense, Layout = ActivationLayout.Tokens };

        /// <summary>
        /// PyTorch's parameter names of a recurrent layer, in registration order: <c>weight_ih_l0</c>, <c>weight_hh_l0</c>,
        /// <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, then <c>..._l0_reverse</c> when bidirectional, then the next layer.
        /// </summary>
        public static IEnumerable<string> ParameterNames(long layers, bool bidirectional, bool bias)
        {
            for (long layer = 0; layer < layers; layer++)
            {
                foreach (var suffix in bidirectional ? new[] { "", "_reverse" } : new[] { "" })
                {
                    yield return "weight_ih_l" + layer + suffix;
                    yield return "weight_hh_l" + layer + suffix;
                    if (!bias) continue;
                    yield return "bias_ih_l" + layer + suffix;
                    yield return "bias_hh_l" + layer + suffix;
                }
            }
        }
    }
}
