using System.Globalization;
using System.Text;
using Dsl.Runtime.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Autocast
{
    /// <summary>One module or forward step of a network and what mixed precision does to it.</summary>
    /// <param name="Path">The module's dotted path (<c>stage1.0.conv1</c>), or a step's block path and output (<c>stage1.0:x</c>).</param>
    /// <param name="Kind">The module kind (<c>Conv2d</c>) or step name (<c>add</c>).</param>
    /// <param name="Rule">The autocast rule of that kind.</param>
    /// <param name="Policy">The rule's policy on the plan's device.</param>
    public sealed record AutocastEntry(string Path, string Kind, AutocastRule Rule, CastPolicy Policy);

    /// <summary>
    /// The casts of mixed precision for one network, module by module and step by step: read from the network's graph
    /// (the compile-time description, <see cref="NetworkGraph"/>) through <see cref="AutocastLists"/>, so it is known
    /// before the network is built and printed or tested without running it. <see cref="MixedPrecision.Enable"/> applies it.
    /// </summary>
    public sealed class AutocastPlan
    {
        private AutocastPlan(Precision precision, AutocastDevice device, IReadOnlyList<AutocastEntry> modules, IReadOnlyList<AutocastEntry> steps)
        {
            Precision = precision;
            Device = device;
            Modules = modules;
            Steps = steps;
        }

        /// <summary>The 16-bit type of the plan.</summary>
        public Precision Precision { get; }

        /// <summary>The device whose lists the plan follows.</summary>
        public AutocastDevice Device { get; }

        /// <summary>Every leaf module (a layer), in the graph's order.</summary>
        public IReadOnlyList<AutocastEntry> Modules { get; }

        /// <summary>Every forward step between modules (merges, in-place ReLUs, a block's own tensors), in the graph's order.</summary>
        public IReadOnlyList<AutocastEntry> Steps { get; }

        /// <summary>The plan of a network graph.</summary>
        /// <exception cref="ArgumentException"><paramref name="precision"/> is float32 (there is nothing to cast).</exception>
        public static AutocastPlan Of(NetworkGraph graph, Precision precision, AutocastDevice device = AutocastDevice.Cpu)
        {
            RequireMixed(precision);
            var modules = new List<AutocastEntry>();
            var steps = new List<AutocastEntry>();
            foreach (var node in graph.Root.Descendants().Prepend(graph.Root))
            {
                if (node.Form == NodeForm.Leaf) modules.Add(Entry(node.Path, node.Module, AutocastLists.For(node), device));
                foreach (var step in node.Body.Where(s => s.Op is not (GraphOp.Call or GraphOp.OptionalCall)))
                    steps.Add(Entry(node.Path + ":" + step.Out, GraphOps.Name(step.Op), AutocastLists.For(step.Op), device));
            }
            return new AutocastPlan(precision, device, modules, steps);
        }

        /// <summary>
        /// The plan of any module: a generated network's from its graph; another module's from its module tree, each
        /// module without children an unknown one (float32). The rules are declared by the generator's kinds and carried
        /// by a network's graph, so without a graph every layer is unknown: float32 inputs, correct but without the
        /// speed of the 16-bit type.
        /// </summary>
        public static AutocastPlan For(nn.Module model, Precision precision, AutocastDevice device = AutocastDevice.Cpu)
        {
            if (model is IDeclaredNetwork network) return Of(NetworkGraph.Of(network), precision, device);
            RequireMixed(precision);
            var modules = new List<AutocastEntry>();
            void Walk(string path, nn.Module m)
            {
                string kind = m.GetType().Name;
                var children = m.named_children().ToList();
                if (children.Count == 0)
                {
                    modules.Add(Entry(path, kind, AutocastLists.Unknown(kind), device));
                    return;
                }
                foreach (var (name, child) in children) Walk(path.Length == 0 ? name : path + "." + name, child);
            }
            Walk("", model);
            return new AutocastPlan(precision, device, modules, Array.Empty<AutocastEntry>());
        }

        private static AutocastEntry Entry(string path, string kind, AutocastRule rule, AutocastDevice device) =>
            new(path, kind, rule, rule.On(device));

        private static void RequireMixed(Precision precision)
        {
            if (precision == Precision.Float32)
                throw new ArgumentException("A mixed-precision plan needs a 16-bit precision (BFloat16 or Float16); float32 casts nothing.", nameof(precision));
        }

        /// <summary>What a policy makes of a module's floating inputs, in words (<c>bf16</c>, <c>float32</c>, <c>as received</c>).</summary>
        public string ComputesIn(CastPolicy policy) => policy switch
        {
            CastPolicy.LowerPrecision => MemoryPlan.Name(Precision),
            CastPolicy.Float32 => "float32",
            CastPolicy.Promote => "widest input",
            _ => "as received",
        };

        /// <summary>The plan as a table: one line per module and step, with its operations and the type it computes in.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            var rows = Modules.Concat(Steps).Select(e => (Path: e.Path.Length == 0 ? "(network)" : e.Path, e.Kind, e.Rule.Ops, Type: ComputesIn(e.Policy))).ToList();
            rows.Insert(0, ("module or step", "kind", "operations", "computes in"));
            int w0 = rows.Max(r => r.Path.Length) + 2, w1 = rows.Max(r => r.Kind.Length) + 2, w2 = rows.Max(r => r.Ops.Length) + 2;
            sb.Append(CultureInfo.InvariantCulture, $"{MemoryPlan.Name(Precision)} mixed precision on {(Device == AutocastDevice.Cpu ? "the CPU" : "CUDA")}: weights float32, casts as PyTorch's autocast lists\n");
            foreach (var r in rows)
                sb.Append(r.Path.PadRight(w0)).Append(r.Kind.PadRight(w1)).Append(r.Ops.PadRight(w2)).Append(r.Type).Append('\n');
            sb.Append("loss: float32 (").Append(string.Join(", ", AutocastLists.Float32Losses)).Append(")\n");
            return sb.ToString();
        }
    }
}
