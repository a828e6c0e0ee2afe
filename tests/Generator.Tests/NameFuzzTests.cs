using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The name policy's property test: random hostile names (C# keywords and contextual keywords, Python keywords and
    /// constants, the names generated code and the PyTorch twin use, quotes, backslashes, line breaks, unicode letters,
    /// marks and formatting characters) as layer names, Sequential keys, block parameter names, Body names, block and
    /// network class names, around a class block used twice with different values and an inlined block. For every case
    /// either a DSL error is reported, or the C# compiles, the module constructs and runs, and (where python3-torch is
    /// present) its twin imports, builds, runs a forward of the declared output shape and has the module's state_dict keys,
    /// and its ONNX model loads in ONNX Runtime and computes the module's eval-mode output.
    /// DSL_NAME_FUZZ_CASES (default 600) and DSL_NAME_FUZZ_SEED (default 20261201) configure the run.
    /// </summary>
    public class NameFuzzTests
    {
        private const int BatchSize = 40;
        private readonly ITestOutputHelper _output;

        public NameFuzzTests(ITestOutputHelper output) => _output = output;

        /// <summary>Names a user might choose that some part of the generated code or the twin also uses or cannot take.</summary>
        internal static readonly string[] HostileNames =
        {
            // C# keywords and contextual keywords
            "class", "int", "event", "@class", "var", "value", "async", "await", "nameof", "record", "global", "when", "type", "field", "select",
            // Python keywords, constants and soft keywords
            "def", "lambda", "None", "True", "False", "pass", "nonlocal", "yield", "import", "is", "not", "with", "match", "case", "_", "print",
            // names the C# module and its forward use
            "x", "y", "h", "input", "inputs", "input_", "output", "x_", "x_1", "x_2", "y_1", "y0", "y1", "identity", "forward", "call", "register_module",
            "base", "this", "Info", "Graph", "Summary", "conv1", "relu1", "fc1", "flatten1", "shortcut", "body", "BModule", "Net", "Dispose",
            // names the twin uses
            "nn", "F", "torch", "super", "self", "Tensor", "OrderedDict", "math", "re", "Permute", "StochasticDepth", "input_shape", "output_shape",
            "training", "float", "_modules", "__init__", "__class__", "__x", "append", "_initialize",
            // quotes, backslashes, line breaks, dots, empty
            "a\"b", "a\\b", "a'b", "a\nb", "a.b", "", " ", "a b", "{x}",
            // unicode: letters, a titlecase letter, a ligature NFKC changes, a combining mark, a formatting character
            "é", "λ", "Δx", "名前", "ǅ", "\uFB01", "e\u0301", "x\u200D", "x\u00AD",
            // ordinary names
            "stem", "act", "features", "proj", "c", "stride", "width",
        };

        /// <summary>
        /// Names legal in both languages that generated code or the twin also uses (locals, modules, imports, helpers) or
        /// that Python reads specially: half of the cases draw only these, so many cases get as far as the twin.
        /// </summary>
        internal static readonly string[] TrickyNames =
        {
            "h", "input", "inputs", "input_", "output", "x_", "x_1", "x_2", "y_1", "conv1", "relu1", "fc1", "flatten1", "shortcut", "body", "nn", "F",
            "torch", "super", "self", "Tensor", "OrderedDict", "math", "re", "Permute", "StochasticDepth", "match", "case", "_", "print",
            "_initialize", "é", "λ", "Δx", "名前", "ǅ", "stem", "act", "features", "proj", "c", "stride", "width",
        };

        /// <summary>Class names (always C# identifiers, or the test source itself would not compile).</summary>
        internal static readonly string[] ClassNames =
        {
            "Net", "None", "lambda", "def", "nn", "F", "torch", "Tensor", "super", "self", "Permute", "OrderedDict", "@int", "print", "é", "\uFB01x",
            "BasicBlock", "Sequential", "math", "re", "x", "input", "Graph", "Info", "IModule", "BModule", "match", "_", "ǅ", "@class",
        };

        [SkippableFact]
        public void Random_hostile_names_are_diagnosed_or_compile_run_and_import_as_a_twin()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_NAME_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 600;
            int seed = int.TryParse(Environment.GetEnvironmentVariable("DSL_NAME_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20261201;
            int clean = 0, diagnosed = 0;
            var clock = PropertyClock.Start();
            using var exports = new ExportChecks("name-fuzz");
            for (int start = 0; start < cases; start += BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(BatchSize, cases - start)).Select(i => new NCase(i, new Random(seed + i * 7919))).ToArray();
                var (v, d) = CheckBatch(batch, exports);
                clean += v;
                diagnosed += d;
            }
            Assert.True(clean >= cases / 10 && diagnosed >= cases / 10, $"{clean} clean, {diagnosed} diagnosed");
            // The C# side and ONNX are checked everywhere; the twins where python3-torch is installed.
            string? python = exports.CheckTwins();
            _output.WriteLine($"{cases} cases (seed {seed}): {clean} compiled, ran and loaded in ONNX Runtime, {diagnosed} diagnosed; twins {(python is null ? "imported: " + exports.Twins : "not checked: " + python)}; {clock}");
            Skip.If(python is not null, python);
        }

        /// <summary>
        /// A network and a block named after each of the twin's helper classes (their files, <c>PythonNames.HelperClasses</c>),
        /// the network's twin also writing the helpers LayerNorm2d, StochasticDepth and Permute: the network's class (the
        /// twin's module-level class of the same name) is renamed in the twin and never hides a helper, so every twin
        /// imports, builds, runs and has the module's keys.
        /// </summary>
        [SkippableFact]
        public void Networks_named_after_the_twins_helper_classes_import_as_a_twin()
        {
            var helpers = Dsl.Runtime.PyTorch.PyTorchLayers.HelperNames.ToArray();
            Assert.Contains("PositionTable", helpers);
            var sources = helpers.Select((helper, i) => $$"""
                using Dsl;
                namespace HelperCase{{i}};

                [Block("c", Merge = Merge.Add)]
                [Conv2d("c", 3, Padding = 1)] [LayerNorm2d] [StochasticDepth(0.1)]
                public partial class {{helper}}Block;

                [Input(2, 8, 8)]
                [Conv2d(4, 3, Padding = 1)]
                [Use<{{helper}}Block>(4)]
                [Conv2d(2, 3, Padding = 1)]
                [Use<{{helper}}Block>(2)]
                [Permute(0, 2, 3, 1)] [Permute(0, 3, 1, 2)]
                [Flatten] [Linear(2)]
                public partial class {{helper}};
                """).ToArray();
            var run = Harness.Run(sources);
            Assert.Empty(run.GeneratorDiagnostics);
            var errors = DiagnosticHarness.AnalyzeAll(run.Output).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0, "Diagnostics:\n" + string.Join("\n", errors.Take(5)));
            var assembly = Harness.Load(run);
            using var exports = new ExportChecks("helper-names");
            for (int i = 0; i < helpers.Length; i++)
            {
                using var scope = NewDisposeScope();
                using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(assembly.GetType($"HelperCase{i}.{helpers[i]}", throwOnError: true)!)!;
                exports.AddTwin(((IDeclaredNetwork)net).Info, net.state_dict().Keys, sources[i]);
            }
            string? python = exports.CheckTwins();
            Skip.If(python is not null, python);
        }

        private static (int Clean, int Diagnosed) CheckBatch(NCase[] batch, ExportChecks exports)
        {
            var sources = batch.Select(k => k.Render()).ToArray();
            var run = Harness.Run(sources);
            Assert.Empty(run.GeneratorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(run.Output);
            Assert.True(!all.Any(d => d.Id is "AD0001" or "CS8785" or "DSL016"), "The analyzer or generator failed:\n" + string.Join("\n", all.Where(d => d.Id is "AD0001" or "CS8785" or "DSL016")));
            // Whatever the names, everything but the DSL's own diagnostics is clean: no error anywhere, and no warning in
            // the generated code (its XML docs included); the test's own classes have no docs, and their lower-case names (CS8981) are the test's choice.
            var other = all.Where(d => !d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Id != "CS8981"
                && (d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.Contains("Dsl.Generator", StringComparison.Ordinal) == true))).ToArray();
            Assert.True(other.Length == 0, "Compiler diagnostics:\n" + string.Join("\n", other.Take(5).Select(d => d + "\n" + d.Location.SourceTree)));

            int clean = 0, diagnosed = 0;
            System.Reflection.Assembly? assembly = null;
            for (int i = 0; i < batch.Length; i++)
            {
                var k = batch[i];
                string file = $"Source{i}.cs";
                bool mine(Diagnostic d) => d.Location.SourceTree?.FilePath == file;
                if (all.Any(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error && mine(d)))
                {
                    diagnosed++;
                    continue;
                }
                assembly ??= Harness.Load(run);
                var type = assembly.GetType($"Case{k.Index}.{k.ClassName.TrimStart('@')}", throwOnError: true)!;
                using var scope = NewDisposeScope();
                nn.Module<Tensor, Tensor> net;
                Tensor x, y;
                try
                {
                    net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
                    net.eval();
                    manual_seed(k.Index);
                    x = randn(2, 2, 8, 8);
                    using (no_grad()) y = net.call(x);
                    Assert.True(y.shape.SequenceEqual(new long[] { 2, 2 }), $"No diagnostic, but the module's output is [{string.Join(", ", y.shape)}], not [2, 2]:\n{sources[i]}\n{run.Sources[$"Case{k.Index}.{k.ClassName.TrimStart('@')}.g.cs"]}");
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new Xunit.Sdk.XunitException($"No diagnostic, but the module fails: {(e.InnerException ?? e).Message.Split('\n')[0]}\n{sources[i]}");
                }
                using (net)
                {
                    ExportChecks.Onnx(net, x, y, sources[i]);
                    exports.AddTwin((Dsl.NetworkInfo)type.GetProperty("Info")!.GetValue(null)!, net.state_dict().Keys, sources[i]);
                }
                clean++;
            }
            return (clean, diagnosed);
        }

        /// <summary>One drawn declaration: a network with a class block used twice (different channels), an inlined block and a Sequential block.</summary>
        private sealed class NCase
        {
            public NCase(int index, Random r)
            {
                Index = index;
                string Pick(string[] pool) => pool[r.Next(pool.Length)];
                var names = r.NextDouble() < 0.5 ? TrickyNames : HostileNames;
                string? Maybe(double p) => r.NextDouble() < p ? Pick(names) : null;
                var classes = new HashSet<string>(StringComparer.Ordinal);
                string Class()
                {
                    string n;
                    do n = Pick(ClassNames); while (!classes.Add(n.TrimStart('@')));
                    return n;
                }
                ClassName = Class();
                Block = Class();
                Inlined = Class();
                Sequential = Class();
                Parameter = r.NextDouble() < 0.6 ? Pick(names) : "c";
                Body = r.NextDouble() < 0.3 ? Pick(names) : null;
                BlockLayers = new[] { Maybe(0.4), Maybe(0.4) };
                InlinedLayer = Maybe(0.5);
                SequentialKeys = new[] { Maybe(0.6), Maybe(0.6) };
                Layers = Enumerable.Range(0, 6).Select(_ => Maybe(0.35)).ToArray();
                UseInline = r.NextDouble() < 0.7;
            }

            public int Index { get; }
            public string ClassName { get; }
            public string Block { get; }
            public string Inlined { get; }
            public string Sequential { get; }
            public string Parameter { get; }
            public string? Body { get; }
            public string?[] BlockLayers { get; }
            public string? InlinedLayer { get; }
            public string?[] SequentialKeys { get; }
            public string?[] Layers { get; }
            public bool UseInline { get; }

            private static string Lit(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

            private static string Name(string? name, bool first = false) => name is null ? "" : (first ? "" : ", ") + "Name = " + Lit(name);

            public string Render()
            {
                var sb = new StringBuilder();
                sb.Append("using Dsl;\nnamespace Case").Append(Index).Append(";\n\n");
                // A residual class block: its parameter gives the channels, which differ between the two uses (a constructor argument).
                sb.Append("[Block(").Append(Lit(Parameter)).Append(", Merge = Merge.Add").Append(Body is null ? "" : ", Body = " + Lit(Body)).Append(")]\n");
                sb.Append("[Conv2d(").Append(Lit(Parameter)).Append(", 3, Padding = 1").Append(Name(BlockLayers[0])).Append(")] [ReLU(").Append(Name(BlockLayers[1], true)).Append(")]\n");
                sb.Append("public partial class ").Append(Block).Append(";\n\n");
                sb.Append("[Block] [ReLU(").Append(Name(InlinedLayer, true)).Append(")] public partial class ").Append(Inlined).Append(";\n\n");
                sb.Append("[Block] [ReLU(").Append(Name(SequentialKeys[0], true)).Append(")] [Identity(").Append(Name(SequentialKeys[1], true)).Append(")] public partial class ").Append(Sequential).Append(";\n\n");
                sb.Append("[Input(2, 8, 8)]\n");
                sb.Append("[Conv2d(4, 3, Padding = 1").Append(Name(Layers[0])).Append(")]\n");
                sb.Append("[Use<").Append(Block).Append(">(4").Append(Name(Layers[1])).Append(")]\n");
                sb.Append("[Conv2d(2, 3, Padding = 1").Append(Name(Layers[2])).Append(")]\n");
                sb.Append("[Use<").Append(Block).Append(">(2)]\n");
                sb.Append("[Use<").Append(Inlined).Append(">(").Append(UseInline ? "Inline = true" : "").Append(")]\n");
                sb.Append("[Use<").Append(Sequential).Append(">(").Append(Name(Layers[3], true)).Append(")]\n");
                sb.Append("[ReLU(").Append(Name(Layers[4], true)).Append(")] [Flatten] [Linear(2").Append(Name(Layers[5])).Append(")]\n");
                sb.Append("public partial class ").Append(ClassName).Append(";\n");
                return sb.ToString();
            }
        }
    }
}
