using Dsl.Generator.Graph;
using System.Linq;
using Dsl.Generator.Layers;

namespace Dsl.Generator.Model
{
    /// <summary>
    /// <c>[Linear(out, InFeatures, Bias)]</c> on the last dimension of [F] or [L, F]; <see cref="InFeatures"/> 0 means
    /// inferred. On an image (channels-last [H, W, C]) it applies over the last dimension when <see cref="InFeatures"/> names it.
    /// </summary>
    internal sealed record LinearSpec(string? Name, int OutFeatures, int InFeatures, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Linear";
        public override string NamePrefix => "fc";

        [Reads("LinearAttribute")]
        public static LayerSpec Read(AttributeReader a) => new LinearSpec(a.Name, a.Int(0), a.Named("InFeatures", 0), a.Named("Bias", true));

        public override void Validate(Validation v)
        {
            v.AtLeast("outFeatures", OutFeatures, 1); v.AtLeast("InFeatures", InFeatures, 0);
        }

        public override Value Build(GraphBuilder b, string name, Value x) => Add(b, name, x, OutFeatures, InFeatures, Bias);

        /// <summary>
        /// Adds a linear layer; a non-zero <paramref name="declaredIn"/> must equal the incoming features. As PyTorch's, it
        /// applies to the last dimension: flat features [F] -> [out], and tokens or sequences [L, F] -> [L, out]. An image
        /// [C, H, W] is reported (DSL005) rather than mapped over its width: that is almost always a missing Flatten; unless
        /// <paramref name="declaredIn"/> names its last dimension (channels-last [H, W, C], ConvNeXt), where it applies.
        /// </summary>
        public static Value Add(GraphBuilder b, string name, Value x, Num outFeatures, long declaredIn, bool bias, string? into = null, string? doc = null)
        {
            string path = b.ChildPath(name);
            if (b.Failed) return x;
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
            long parameters = b.Checked(() => weights + (bias ? output : 0), path, "outFeatures");
            long positions = 1;
            for (int i = 0; i < x.Shape.Count - 1; i++) positions = b.Checked(() => positions * x.Shape[i], path, null);
            long macs = b.Checked(() => weights * positions, path, "outFeatures");
            if (b.Failed) return x;
            var dims = x.Shape.ToArray();
            dims[dims.Length - 1] = output;
            var args = new[] { Literal.Arg("inputSize", inFeatures), Literal.Arg("outputSize", outFeatures), Literal.Arg("hasBias", bias, true) };
            return b.Leaf(name, "Linear", x, new EquatableArray<long>(dims), parameters, macs, x.Shape.Count > 1 ? SizeRule.Follows : SizeRule.Dependent, args, into, doc);
        }
    }
}
