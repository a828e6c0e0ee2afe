using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Graph;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Every module a layer kind can put into a graph has an autocast rule, declared by its kind in its own file with its
    /// rendering: each layer attribute is built on the inputs it may take (<see cref="KindGraphs"/>) and every leaf is
    /// read as mixed precision reads it. Without this a new kind gets float32 inputs under bf16 silently (a module the
    /// graph declares no rule for), where PyTorch's autocast may let it fall through or lower it.
    /// </summary>
    public class AutocastCoverageTests
    {
        [Fact]
        public void Every_module_a_layer_kind_builds_has_one_autocast_rule()
        {
            // One message per module kind (the first declaration that builds it), not one per input tried.
            var problems = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var seen = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (_, declaration, model) in KindGraphs.All)
                foreach (var leaf in KindGraphs.RuntimeGraph(model).Root.Descendants().Where(n => n.Form == NodeForm.Leaf && n.Module != "Custom"))
                {
                    seen.Add(leaf.Module);
                    if (!AutocastLists.Knows(leaf))
                        problems.TryAdd(leaf.Module, $"{leaf.Module} (from {declaration}) has no autocast rule, so bf16 gives it float32 inputs: declare one with its kind's "
                            + "LeafRendering (AutocastRule: its ATen operations and their policy on the CPU and CUDA, from PyTorch's autocast_mode.cpp)");
                    else if (AutocastLists.For(leaf).Kind != leaf.Module)
                        problems.TryAdd(leaf.Module, $"{leaf.Module} (from {declaration}): its declared autocast rule is read as '{AutocastLists.For(leaf).Kind}'");
                    else if (AutocastLists.Steps.Any(r => r.Kind == leaf.Module))
                        problems.TryAdd(leaf.Module, $"{leaf.Module} (from {declaration}) is also the name of a forward step of AutocastLists.Steps: a plan's rows would not say which");
                }
            Assert.True(problems.Count == 0, string.Join("\n", problems.Values));
            // The declared rules were reached, and ELU falls through as in PyTorch (elu is in no autocast list).
            Assert.Subset(seen, new SortedSet<string>(new[] { "ELU", "ReLU", "Softmax", "Flatten", "Conv2d", "Linear", "LSTM", "MultiheadSelfAttention", "LayerNorm" }));
        }

        [Fact]
        public void Every_forward_step_has_an_autocast_rule()
        {
            var missing = Enum.GetValues<GraphOp>().Where(op => op is not (GraphOp.Call or GraphOp.OptionalCall))
                .Where(op => AutocastLists.Steps.All(r => r.Kind != GraphOps.Name(op))).Select(GraphOps.Name).ToList();
            Assert.True(missing.Count == 0, "forward steps without a row in AutocastLists.Steps: " + string.Join(", ", missing));
        }

        [Fact]
        public void A_declared_rule_reaches_the_plan_with_its_policy_per_device()
        {
            var model = KindGraphs.Build("[Input(4, 16)] [Linear(8)] [ELU] [Softmax]");
            Assert.NotNull(model);
            var graph = KindGraphs.RuntimeGraph(model!);
            var cpu = AutocastPlan.Of(graph, Precision.BFloat16, AutocastDevice.Cpu).Modules.ToDictionary(e => e.Kind, e => e);
            var cuda = AutocastPlan.Of(graph, Precision.BFloat16, AutocastDevice.Cuda).Modules.ToDictionary(e => e.Kind, e => e);
            Assert.Equal(("elu", CastPolicy.FallThrough), (cpu["ELU"].Rule.Ops, cpu["ELU"].Policy));
            Assert.Equal(CastPolicy.FallThrough, cuda["ELU"].Policy);
            Assert.Equal(("softmax", CastPolicy.FallThrough), (cpu["Softmax"].Rule.Ops, cpu["Softmax"].Policy));
            Assert.Equal(CastPolicy.Float32, cuda["Softmax"].Policy);
            Assert.Equal(CastPolicy.LowerPrecision, cpu["Linear"].Policy);
        }
    }
}
