
namespace Dsl.Runtime.Onnx
{
    /// <summary>A layer of the network graph that the ONNX exporter cannot write; names the layer and its kind.</summary>
    public sealed class OnnxExportException : NotSupportedException
    {
        /// <summary>Creates the exception for the layer at <paramref name="path"/> of kind <paramref name="module"/>.</summary>
        public OnnxExportException(string path, string module, string reason)
            : base($"Cannot export layer '{(path.Length == 0 ? "(the network)" : path)}' ({module}) to ONNX: {reason}")
        {
            LayerPath = path;
            Module = module;
        }

        /// <summary>The layer's dotted path (its state_dict prefix); <c>""</c> for the network itself.</summary>
        public string LayerPath { get; }

        /// <summary>The layer's kind: the graph's <c>module</c> (<c>Conv2d</c>, <c>BasicBlock</c>, ...).</summary>
        public string Module { get; }
    }
}
