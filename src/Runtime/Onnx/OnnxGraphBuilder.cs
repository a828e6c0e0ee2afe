using System.Runtime.InteropServices;
using Dsl.Runtime.Onnx.Proto;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Onnx
{
    /// <summary>
    /// Collects the nodes and initializers of one ONNX graph. Value names are unique and readable (the layer path);
    /// initializers are named by their state_dict key and added the first time a layer asks for them.
    /// </summary>
    internal sealed class OnnxGraphBuilder
    {
        private readonly IReadOnlyDictionary<string, Tensor> _state;
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);

        public OnnxGraphBuilder(IReadOnlyDictionary<string, Tensor> state, IEnumerable<string> reserved)
        {
            _state = state;
            _names.UnionWith(reserved);
            _names.UnionWith(state.Keys);
        }

        public List<NodeProto> Nodes { get; } = new();

        /// <summary>The value each Embedding read, by the layer's path (the token ids a padding mask compares).</summary>
        public Dictionary<string, string> EmbeddingInputs { get; } = new(StringComparer.Ordinal);

        /// <summary>The initializers used so far, in the order the graph first used them.</summary>
        public IReadOnlyCollection<TensorProto> Initializers => _initializers.Values;

        /// <summary>The state_dict keys the graph used.</summary>
        public IReadOnlyCollection<string> UsedKeys => _initializers.Keys;

        /// <summary>Adds node <paramref name="opType"/> and returns the name of its (single) output.</summary>
        public string Add(string opType, string nameHint, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            string output = Fresh(nameHint);
            var node = new NodeProto { OpType = opType, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            Nodes.Add(node);
            return output;
        }

        /// <summary>The initializer for state_dict entry <paramref name="key"/> (float32, the tensor's shape); returns its name, the key.</summary>
        /// <exception cref="KeyNotFoundException">The module has no such entry.</exception>
        public string Initializer(string key)
        {
            if (_initializers.ContainsKey(key)) return key;
            if (!_state.TryGetValue(key, out var tensor))
                throw new KeyNotFoundException($"the module's state_dict has no '{key}'");
            _initializers[key] = ToProto(key, tensor);
            return key;
        }

        /// <summary>Adds node <paramref name="opType"/> whose output is exactly <paramref name="name"/> (a reserved name: a graph output).</summary>
        public void AddNamed(string opType, string name, IEnumerable<string> inputs)
        {
            var node = new NodeProto { OpType = opType, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(name);
            Nodes.Add(node);
        }

        /// <summary>Renames the value <paramref name="from"/> (a node output) to <paramref name="to"/>, e.g. the graph's output.</summary>
        public void RenameOutput(string from, string to)
        {
            var producer = Nodes.LastOrDefault(n => n.Output.Contains(from));
            if (producer is null)
            {
                // The result is the graph input itself (a network without layers, or of identities): ONNX needs a node
                // that names it. Not through Add, whose fresh name would avoid the reserved output name.
                var identity = new NodeProto { OpType = "Identity", Name = to };
                identity.Input.Add(from);
                identity.Output.Add(to);
                Nodes.Add(identity);
                return;
            }
            producer.Output[producer.Output.IndexOf(from)] = to;
            foreach (var node in Nodes)
                for (int i = 0; i < node.Input.Count; i++)
                    if (node.Input[i] == from) node.Input[i] = to;
        }

        private string Fresh(string hint)
        {
            string name = hint;
            for (int i = 2; !_names.Add(name); i++) name = hint + "_" + i;
            return name;
        }

        private static TensorProto ToProto(string name, Tensor tensor)
        {
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is big-endian.");
            using var scope = torch.NewDisposeScope();
            // float32 whatever the module was trained in (bf16, float64) and wherever it lives: ONNX Runtime runs it on the CPU.
            var values = tensor.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.Dims.AddRange(tensor.shape);
            proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            return proto;
        }
    }

    /// <summary>Shorthands for node attributes.</summary>
    internal static class OnnxAttribute
    {
        public static AttributeProto Int(string name, long value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        public static AttributeProto Float(string name, double value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

        public static AttributeProto Text(string name, string value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

        public static AttributeProto Ints(string name, params long[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(values);
            return a;
        }
    }
}
