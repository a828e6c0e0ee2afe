using static Dsl.Generator.Graph.Onnx;

namespace Dsl.Generator.Model
{
    /// <summary>The interpolation of <c>[Upsample]</c>; the values are those of Dsl.UpsampleMode.</summary>
    internal enum UpsampleKind { Nearest = 0, Bilinear = 1 }

    /// <summary>
    /// <c>[Upsample(ScaleFactor, Mode, AlignCorners)]</c>: nn.Upsample by a fixed factor, no parameters. Output size per
    /// side is floor(n * ScaleFactor), as PyTorch's interpolate computes it.
    /// </summary>
    internal sealed record UpsampleSpec(string? Name, double ScaleFactor, UpsampleKind Mode, bool AlignCorners) : LayerSpec(Name)
    {

        /// <summary>
        /// ONNX: Resize with constant scales [1, 1, s, s] (output floor(n * s), as PyTorch). Nearest is PyTorch's legacy
        /// nearest (source index floor(i / s): asymmetric, floor); bilinear maps corners, or centres with half_pixel, not
        /// pytorch_half_pixel: with the scale given, PyTorch maps every output index, one of an axis of length 1 included,
        /// to (i + 0.5) / scale - 0.5, clamped at 0 as ONNX Runtime clamps.
        /// </summary>
        private static readonly OnnxRendering ToOnnx = Cases(
            When(Is("mode", "nearest"), Resize(Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"), Text("nearest_mode", "floor"))),
            When(new[] { Is("mode", "bilinear"), Has("align_corners") }, Resize(Text("mode", "linear"), Text("coordinate_transformation_mode", "align_corners"))),
            When(Is("mode", "bilinear"), Resize(Text("mode", "linear"), Text("coordinate_transformation_mode", "half_pixel"))));

        private static OnnxNode Resize(params OnnxAttr[] attributes) =>
            Node("Resize", In(X, None, FloatsConstant(1.0, 1.0, Arg("scale_factor"), Arg("scale_factor"))), attributes);

        [Reads]
        public static LayerSpec Read(AttributeReader a) =>
            new UpsampleSpec(a.Name, a.Double(0, 2.0), (UpsampleKind)a.Named("Mode", 0), a.Named("AlignCorners", false));

        public override void Validate(Validation v)
        {
            if (!(ScaleFactor > 0) || double.IsInfinity(ScaleFactor)) v.Invalid("scaleFactor", ScaleFactor, "greater than 0");
            if (Mode is not (UpsampleKind.Nearest or UpsampleKind.Bilinear)) v.Invalid("Mode", (int)Mode, "UpsampleMode.Nearest or UpsampleMode.Bilinear");
            else if (AlignCorners && Mode != UpsampleKind.Bilinear) v.Invalid("AlignCorners", "true", "false with UpsampleMode.Nearest (only interpolating modes align corners)");
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, ScaleFactor, Mode, AlignCorners);

        /// <summary>floor(n * scale) in double precision, as ATen's compute_output_size; null beyond <see cref="long"/>.</summary>
        public static long? Output(long size, double scale)
        {
            double output = Math.Floor(size * scale);
            return output < long.MaxValue / 2 ? (long)output : null;
        }

        public static Value Add(GraphBuilder b, string name, Value x, double scale, UpsampleKind mode, bool alignCorners, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (!Require.Image(b, path, "Upsample", x)) return x;
            long c = x.Shape[0], h = x.Shape[1], w = x.Shape[2];
            long? oh = Output(h, scale), ow = Output(w, scale);
            if (oh is null || ow is null)
            {
                b.Report(ProblemCode.InvalidValue, "scaleFactor", path, "scaleFactor", Literal.Of(scale), "small enough that the output size fits in 64 bits");
                return x;
            }
            if (oh < 1 || ow < 1)
            {
                b.Report(ProblemCode.InvalidValue, "scaleFactor", path, "scaleFactor", Literal.Of(scale),
                    "large enough that its " + Require.Size(h, w) + " input gives an output of at least 1x1 (it gives " + Require.Size(oh.Value, ow.Value) + ")");
                return x;
            }
            string scaleLiteral = Literal.Of(scale);
            string modeName = mode == UpsampleKind.Bilinear ? "Bilinear" : "Nearest";
            // The graph says scale_factor 2.0 and mode "bilinear" (PyTorch's spelling); the C# call needs TorchSharp's types.
            var args = new[]
            {
                new LeafArg("scale_factor", scaleLiteral, null, false, "new double[] { " + scaleLiteral + ", " + scaleLiteral + " }"),
                new LeafArg("mode", "\"" + modeName.ToLowerInvariant() + "\"", null, mode == UpsampleKind.Nearest, "global::TorchSharp.torch.UpsampleMode." + modeName),
                // Bilinear always says align_corners (libtorch warns on every call when it is left unset); nearest never may.
                new LeafArg("align_corners", Literal.Of(alignCorners), null, mode == UpsampleKind.Nearest),
            };
            return b.Leaf(name, "Upsample", x, GraphNode.Dims(c, oh.Value, ow.Value), 0, 0, SizeRule.Follows, args, into, doc, rendering: Rendering, onnx: ToOnnx,
                saves: SavedForBackward.Sizes); // nearest and bilinear keep only sizes
        }

        /// <summary>nn.Upsample (mode as PyTorch spells it, "nearest" or "bilinear"); upsampling is in no autocast list.</summary>
        private static readonly LeafRendering Rendering = LeafRendering.Module(
            PyTorchConstructor.Of("nn.Upsample", "scale_factor", "mode", "align_corners"), AutocastRule.FallThrough("upsample_nearest2d, upsample_bilinear2d"));
    }
}
