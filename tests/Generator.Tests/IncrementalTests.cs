using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generator.Tests
{
    /// <summary>The pipeline caches: a second run or an unrelated edit regenerates nothing.</summary>
    public class IncrementalTests
    {
        private const string Network = """
            using Dsl;
            namespace Demo
            {
                [Input(1, 28, 28)]
                [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)]
                [ResidualStage(1, 32, Downsample = true)]
                [ClassifierHead(10)]
                public partial class Small;

                [Input(1, 28, 28)]
                [Conv2d(4, 3)] [ReLU] [Flatten] [Linear(10)]
                public partial class Plain;
            }
            """;

        private const string Unrelated = "namespace Demo { public class Helper { public int Value => 1; } }";

        private static readonly string[] StepNames = { NetworkGenerator.Steps.Parse, NetworkGenerator.Steps.Analyze, NetworkGenerator.Steps.Buildable };

        private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
        {
            var compilation = Harness.Compilation(Network, Unrelated);
            var driver = Harness.Driver().RunGenerators(compilation);
            return (driver, compilation);
        }

        [Fact]
        public void Second_run_with_the_same_input_is_fully_cached()
        {
            var (driver, compilation) = FirstRun();
            var second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();

            foreach (var step in StepNames)
            {
                Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
                var reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
                Assert.NotEmpty(reasons);
                Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
            }
            Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
                o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }

        [Fact]
        public void Editing_an_unrelated_file_regenerates_nothing()
        {
            var (driver, compilation) = FirstRun();
            var oldTree = compilation.SyntaxTrees.Single(t => t.ToString().Contains("class Helper"));
            var newTree = oldTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Unrelated.Replace("=> 1", "=> 2")));
            var edited = compilation.ReplaceSyntaxTree(oldTree, newTree);

            var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
            var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToArray();
            Assert.Equal(2, outputs.Length);
            Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
            foreach (var step in new[] { NetworkGenerator.Steps.Analyze, NetworkGenerator.Steps.Buildable })
            {
                Assert.All(result.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(
                    o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
            }
        }

        [Fact]
        public void Editing_one_network_regenerates_only_that_network()
        {
            var (driver, compilation) = FirstRun();
            var tree = compilation.SyntaxTrees.First();
            var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Network.Replace("[Linear(10)]", "[Linear(12)]"))));
            var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
            var reasons = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).OrderBy(r => r).ToArray();
            Assert.Equal(new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Modified }.OrderBy(r => r), reasons);
        }

        [Fact]
        public void Pipeline_models_hold_no_symbols_syntax_locations_or_compilations()
        {
            var (driver, _) = FirstRun();
            var result = driver.GetRunResult().Results.Single();
            foreach (var step in StepNames)
            {
                foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
                {
                    AssertNoRoslynObjects(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }

        private static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };

        private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
        {
            if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
            var type = value.GetType();
            Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.Name}");
            if (!type.IsValueType && !seen.Add(value)) return;
            if (value is IEnumerable sequence)
            {
                int i = 0;
                foreach (var item in sequence) AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            }
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
            }
        }
    }
}
