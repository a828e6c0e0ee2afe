using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace Dsl
{
    // Networks that are not one tensor in, one tensor out: named outputs (auxiliary heads, feature maps), merges of
    // named values at the top level, a declared network reused as a backbone; and the run-time types their generated
    // code returns.

    /// <summary>
    /// Declares a named output of the network: the value of <see cref="LayerAttribute.From"/> (an earlier layer's name;
    /// default the previous layer's output). A network with outputs gets a nested class <c>Outputs</c> with one tensor
    /// per output, in declaration order, and a method <c>ForwardOutputs(input)</c> that returns it; its
    /// <c>forward(input)</c> still returns one tensor, the main output (the output of the last layer that is no
    /// auxiliary head). When no declared output is the main output, it comes first as <c>out</c> (torchvision's
    /// segmentation models and <c>IntermediateLayerGetter</c> use that key). Not a layer: it adds no module.
    /// </summary>
    /// <example><code>
    /// [Input(3, 224, 224)]
    /// [Backbone&lt;ResNet50&gt;(Until = "layer4")]
    /// [Output("c3", From = "layer2")] [Output("c4", From = "layer3")] [Output("c5", From = "layer4")]
    /// public partial class ResNet50Features;     // ForwardOutputs(x).c3: [N, 512, 28, 28], .c4, .c5
    /// </code></example>
    public sealed class OutputAttribute : LayerAttribute
    {
        /// <param name="name">The output's name: the property of <c>Outputs</c>, the ONNX output and the PyTorch twin's key.</param>
        public OutputAttribute(string name) => Output = name;

        /// <summary>The output's name.</summary>
        public string Output { get; }

        /// <summary>
        /// An auxiliary output (GoogLeNet's and Inception-v3's auxiliary classifiers): computed in training mode only, as
        /// torchvision's; in evaluation mode it is null in <c>Outputs</c> and its head does not run. Its value must be
        /// computed by layers the main output does not need (an auxiliary head read with <see cref="LayerAttribute.From"/>),
        /// else DSL051. Default false: computed in both modes (the auxiliary head of torchvision's segmentation models).
        /// </summary>
        public bool Auxiliary { get; set; }

        /// <summary>
        /// The weight of this output's loss in training: the trainer adds <c>LossWeight * loss(output, target)</c> to the
        /// main output's loss, as torchvision's reference scripts do (0.5 for a segmentation model's <c>aux</c>; GoogLeNet's
        /// paper weighs each auxiliary classifier 0.3). Default 0: not trained against the target (a feature map).
        /// </summary>
        public double LossWeight { get; set; }
    }

    /// <summary>
    /// At a network's top level: merges named values (inputs or earlier layers) into one, as a block's merge does:
    /// <c>Merge.Concat</c> joins them along the channels (the other dimensions must agree), <c>Merge.Add</c> adds them
    /// and <c>Merge.Multiply</c> multiplies them (the shapes must agree). Mismatched shapes are DSL019. No module.
    /// </summary>
    /// <example><code>
    /// [Input(3, 32, 32, Name = "image")] [Input(1, 32, 32, Name = "depth")]
    /// [Conv2d(16, 3, Padding = 1, From = "image", Name = "rgb")]
    /// [Conv2d(16, 3, Padding = 1, From = "depth", Name = "d")]
    /// [Merge(Merge.Concat, "rgb", "d")]
    /// [Flatten] [Linear(10)]
    /// public partial class TwoTower;           // forward(image, depth)
    /// </code></example>
    public sealed class MergeAttribute : LayerAttribute
    {
        /// <param name="merge">How the values are combined.</param>
        /// <param name="values">The names of the values, two or more.</param>
        public MergeAttribute(Merge merge, params string[] values)
        {
            How = merge;
            Values = values;
        }

        /// <summary>How the values are combined.</summary>
        public Merge How { get; }

        /// <summary>The names of the merged values.</summary>
        public string[] Values { get; }
    }

    /// <summary>
    /// The layers of another declared network, as if written here (same names, so the same state_dict keys), up to and
    /// including <see cref="Until"/>: a feature extractor over a backbone without declaring it again (torchvision's
    /// <c>IntermediateLayerGetter</c>, which also drops the layers after the last one it returns). The layers are built
    /// on this network's own <c>[Input]</c>, so the shapes are this network's.
    /// </summary>
    /// <typeparam name="TNetwork">A network class (with <c>[Input]</c> and layers).</typeparam>
    public sealed class BackboneAttribute<TNetwork> : LayerAttribute where TNetwork : class
    {
        /// <summary>The last of the network's top-level layers to take (by name); default null: all of them.</summary>
        public string? Until { get; set; }
    }

    /// <summary>
    /// What <c>ForwardOutputs</c> of a network with several outputs returns: the outputs by name, in declaration order.
    /// The generated nested class <c>Outputs</c> derives from it with one typed property per output. An auxiliary output
    /// is null in evaluation mode. Disposing it disposes every tensor it holds.
    /// </summary>
    public abstract class NetworkOutputs : IDisposable
    {
        private readonly KeyValuePair<string, torch.Tensor?>[] _outputs;

        /// <summary>Creates the record (generated code calls this).</summary>
        protected NetworkOutputs(params KeyValuePair<string, torch.Tensor?>[] outputs) => _outputs = outputs;

        /// <summary>The output names, in declaration order.</summary>
        public IReadOnlyList<string> Names => _outputs.Select(o => o.Key).ToArray();

        /// <summary>The output of that name (null: an auxiliary output in evaluation mode).</summary>
        /// <exception cref="KeyNotFoundException">No output has that name.</exception>
        public torch.Tensor? this[string name] =>
            _outputs.FirstOrDefault(o => o.Key == name) is { Key: not null } found ? found.Value
            : throw new KeyNotFoundException($"No output named '{name}'; the outputs: {string.Join(", ", Names)}.");

        /// <summary>Every output, in declaration order.</summary>
        public IReadOnlyList<KeyValuePair<string, torch.Tensor?>> All => _outputs;

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var o in _outputs) o.Value?.Dispose();
        }
    }

    /// <summary>One input of a network with several: its name (the forward's argument) and the shape of one sample.</summary>
    public sealed class InputInfo
    {
        /// <summary>Creates the record (generated code calls this).</summary>
        public InputInfo(string name, Shape shape)
        {
            Name = name;
            Shape = shape;
        }

        /// <summary>The input's name.</summary>
        public string Name { get; }

        /// <summary>One sample's shape (batch excluded).</summary>
        public Shape Shape { get; }

        /// <inheritdoc/>
        public override string ToString() => Name + " " + Shape;
    }

    /// <summary>One output of a network with declared outputs (<see cref="OutputAttribute"/>).</summary>
    public sealed class OutputInfo(string name, Shape shape, bool auxiliary, double lossWeight, bool main)
    {
        /// <summary>The output's name (the property of the generated <c>Outputs</c>, the ONNX output, the twin's key).</summary>
        public string Name { get; } = name;

        /// <summary>One sample's shape (batch excluded), known at compile time.</summary>
        public Shape Shape { get; } = shape;

        /// <summary>Computed in training mode only.</summary>
        public bool Auxiliary { get; } = auxiliary;

        /// <summary>The weight of its loss in training (the main output's is 1; 0: not trained against the target).</summary>
        public double LossWeight { get; } = lossWeight;

        /// <summary>Whether this is the main output (what <c>forward</c> returns).</summary>
        public bool Main { get; } = main;

        /// <inheritdoc/>
        public override string ToString() => Name + " " + Shape + (Main ? " (main)" : "") + (Auxiliary ? " (training only)" : "")
            + (LossWeight != 0 && !Main ? " (loss weight " + LossWeight.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")" : "");
    }

    /// <summary>Implemented by a generated network with declared outputs (<see cref="OutputAttribute"/>).</summary>
    public interface IMultiOutputNetwork
    {
        /// <summary>Every output of the network for a batch (the generated <c>ForwardOutputs</c>).</summary>
        NetworkOutputs ForwardOutputs(torch.Tensor input);
    }
}
