using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Linear(out, InFeatures, Bias)]</c> on the last dimension of [F] or [L, F]; <see cref="InFeatures"/> 0 means
    /// inferred. On an image (channels-last [H, W, C]) it applies over the last dimension when <see cref="InFeatures"/> names it.
    /// </summary>
    /// <remarks>
    /// <see cref="TiedTo"/>: the path of an earlier Embedding or Linear whose weight this layer uses (module <c>TiedLinear</c>,
    /// holding only its bias; GPT-2's <c>lm_head</c>).
    /// </remarks>
    internal sealed record LinearSpec(string? Name, int OutFeatures, int InFeatures, bool Bias, string? TiedTo = null) : LayerSpec(Name)
    {
        public override string NamePrefix => "fc";

        /// <summary>
        /// ONNX: TorchSharp stores the weight as [out, in], so Y = X W^T + b is Gemm with transB on a vector; on tokens
        /// [L, F] or channels-last input, MatMul with the transposed weight, which broadcasts (Gemm takes matrices only).
        /// </summary>
        private static readonly OnnxRendering ToOnnx = Cases(
            When(RankAtLeast(2),
                Node("Transpose", Weight("weight"), Ints("perm", 1, 0)),
                Node("MatMul", In(X, Out(0))),
                Node("Add", In(Out(1), Weight("bias"))).If(Has("hasBias"))),
            Otherwise(Node("Gemm", In(X, Weight("weight"), Weight("bias", ifArg: "hasBias")), Int("transB", 1))));

        [Reads]
        public static LayerSpec Read(AttributeReader a) => new LinearSpec(a.Name, a.Int(0), a.Named("InFeatures", 0), a.Named("Bias", true), a.Named<string?>("TiedTo", null));

        public override void Validate(Validation v)
        {
            v.AtLeast("outFeatures", OutFeatures, 1); v.AtLeast("InFeatures", InFeatures, 0);
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, OutFeatures, InFeatures, Bias, tiedTo: TiedTo);

        /// <summary>
        /// Adds a linear layer; a non-zero <paramref name="declaredIn"/> must equal the incoming features. As PyTorch's, it
        /// applies to the last dimension: flat features [F] -> [out], and tokens or sequences [L, F] -> [L, out]. An image
        /// [C, H, W] is reported (DSL005) rather than mapped over its width: that is almost always a missing Flatten; unless
        /// <paramref name="declaredIn"/> names its last dimension (channels-last [H, W, C], ConvNeXt), where it applies.
        /// </summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num outFeatures, long declaredIn, bool bias, string? into = null, string? doc = null, string? tiedTo = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed || !b.Reals(name, "Linear", x)) return x;
            // Flat features [F] or tokens [L, F] (applied to each token, on the last dimension); over the last dimension of an
            // image (channels-last [H, W, C]) only when asked for explicitly: InFeatures equal to that dimension. Otherwise a
            // Linear after a convolution wants a Flatten.
            bool lastDimension = x.Shape.Count == 2 || (x.Shape.Count > 1 && declaredIn != 0 && declaredIn == x.Shape[x.Shape.Count - 1]);
            if (!lastDimension && !Require.Flat(b, path, x)) return x;
            long inFeatures = x.Shape[x.Shape.Count - 1], output = outFeatures.Value;
            if (declaredIn != 0 && declaredIn != inFeatures)
            {
                b.Report(ProblemCode.LinearInFeaturesMismatch, "InFeatures", path, declaredIn, inFeatures);
                return x;
            }
            long weights = b.Checked(() => inFeatures * output, path, "outFeatures");
            // A tied layer's weight is the other layer's parameter, counted there.
            long parameters = b.Checked(() => (tiedTo is null ? weights : 0) + (bias ? output : 0), path, "outFeatures");
            long positions = 1;
            for (int i = 0; i < x.Shape.Count - 1; i++) positions = b.Checked(() => positions * x.Shape[i], path, null);
            long macs = b.Checked(() => weights * positions, path, "outFeatures");
            if (b.Failed) return x;
            var dims = x.Shape.ToArray();
            dims[dims.Length - 1] = output;
            if (tiedTo is not null)
            {
                if (!TiedShapeFits(b, path, tiedTo, output, inFeatures)) return x;
                var tied = new[]
                {
                    Literal.Arg("in_features", inFeatures), Literal.Arg("out_features", outFeatures), Literal.Arg("bias", bias, true),
                    new LeafArg("tied_to", Emit.Identifier.String(tiedTo), null, false),
                };
                return b.Leaf(name, "TiedLinear", x, new EquatableArray<long>(dims), parameters, macs, x.Shape.Count > 1 ? SizeRule.Follows : SizeRule.Dependent, tied, into, doc, ownModule: true,
                    // ONNX: the tied layer's initializer, shared, found by the runtime's function.
                    rendering: TiedRendering, onnx: Function("tied_linear"),
                    saves: SavedForBackward.Input, init: TiedInit); // F.linear with the tied parameter: the input
            }
            var args = new[] { Literal.Arg("inputSize", inFeatures), Literal.Arg("outputSize", outFeatures), Literal.Arg("hasBias", bias, true) };
            return b.Leaf(name, "Linear", x, new EquatableArray<long>(dims), parameters, macs, x.Shape.Count > 1 ? SizeRule.Follows : SizeRule.Dependent, args, into, doc, rendering: Rendering, onnx: ToOnnx,
                saves: SavedForBackward.Input, // the input (the weight is a parameter)
                init: Init);
        }

        /// <summary>[Init] names Linear; its weight is [out, in].</summary>
        private static readonly LeafInit Init = LeafInit.Named("Linear", 2);

        /// <summary>A tied layer's weight is the tied layer's parameter (selected there): only its bias is its own.</summary>
        private static readonly LeafInit TiedInit = new TiedBias();

        private sealed record TiedBias() : LeafInit((string?)null)
        {
            public override IEnumerable<InitTarget> Targets(GraphNode node) =>
                HasBias(node) ? new[] { new InitTarget(node.Path + ".bias", null, 1, true) } : System.Array.Empty<InitTarget>();
        }

        /// <summary>nn.Linear (TorchSharp's inputSize, outputSize and hasBias under PyTorch's names); linear is on autocast's lower-precision list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.Linear", "inputSize=in_features*", "outputSize=out_features*", "hasBias=bias"), AutocastRule.LowerPrecision("linear")) with { Family = LayerFamily.Dense };

        /// <summary>A Linear whose weight is another layer's (GPT-2's lm_head), a class of the twin's helper files; linear, lower precision.</summary>
        private static readonly LeafRendering TiedRendering = LeafRendering.Module(
            PyTorchConstructor.Of("TiedLinear", "in_features*", "out_features*", "bias", "tied_to"), AutocastRule.LowerPrecision("linear")) with { Family = LayerFamily.Dense, AfterConstruction = new ConstructionHook("TiedLinear.TieAll", "TiedLinear.tie_all") };
    
        /// <summary>
        /// Whether the layer at <paramref name="target"/> exists (built before this one) and has a weight [out, in] of its own
        /// (an Embedding [vocabulary, dim] or a Linear); reports DSL042 at TiedTo otherwise.
        /// </summary>
        private static bool TiedShapeFits(GraphBuilder b, string path, string target, long output, long input)
        {
            var node = b.Find(target);
            string? Arg(string n) => node is null ? null : node.Args.FirstOrDefault(a => a.Name == n)?.Value;
            long[]? shape = node?.ModuleType switch
            {
                "Embedding" => new[] { long.Parse(Arg("num_embeddings")!), long.Parse(Arg("embedding_dims")!) },
                "Linear" => new[] { long.Parse(Arg("outputSize")!), long.Parse(Arg("inputSize")!) },
                _ => null,
            };
            string? why = node is null ? "no layer of that path is declared before it; name an earlier Embedding or Linear by its state_dict path (\"transformer.wte\")"
                : shape is null ? $"it is a {node.Type}, which has no weight of its own to share; name an Embedding or a Linear"
                : shape[0] != output || shape[1] != input ? $"its weight is [{shape[0]}, {shape[1]}] but this layer needs [{output}, {input}] (out, in); tie layers whose shapes agree, or drop TiedTo"
                : null;
            if (why is null) return true;
            b.Report(ProblemCode.InvalidTiedWeight, "TiedTo", path, target, why);
            return false;
        }
    }
}
