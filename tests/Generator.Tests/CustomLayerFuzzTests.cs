using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Dsl.Runtime.Onnx;
using Dsl.Runtime.PyTorch;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Property test of <c>[Custom&lt;T&gt;]</c> over random module classes: accessibility of the class and of its
    /// containers (the network class itself among them), abstract, generic, bases that are not <c>Module&lt;Tensor, Tensor&gt;</c>,
    /// constructors that are private, protected, internal, obsolete (as a warning or an error), with required, optional or
    /// params parameters, required members (in the class or its base) with or without <c>[SetsRequiredMembers]</c>, an
    /// obsolete type; generated networks (another one, the network itself) and blocks in place of a module; the layer at
    /// the top level, in a class block, a Sequential block or an inlined block, once or twice; forwards that keep or change
    /// the shape, return null or drop the batch, against declared output shapes that are right, wrong or empty.
    /// The oracle is the compiler: each case's network class also holds a probe method that writes <c>new T()</c> as the
    /// generated constructor does, compiled with the case (and left out of the assembly that runs).
    /// For every case: the generator and the analyzer never throw; the generated code never has a compiler error;
    /// DSL020 is reported exactly when the probe does not compile or T is a network or a block; and without a DSL error
    /// the module constructs, counts its parameters as declared, runs to the declared output when the module keeps its
    /// contract and otherwise fails with the run-time check naming the layer, and the ONNX and PyTorch exports refuse it
    /// naming <c>[Custom&lt;T&gt;]</c>.
    /// DSL_CUSTOM_FUZZ_CASES (default 500) and DSL_CUSTOM_FUZZ_SEED (default 20261202) configure the run.
    /// </summary>
    public class CustomLayerFuzzTests
    {
        private const int BatchSize = 50;
        private readonly ITestOutputHelper _output;

        public CustomLayerFuzzTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void Random_custom_modules_are_refused_exactly_when_new_T_does_not_compile_and_otherwise_compile_and_run()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_CUSTOM_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 500;
            int seed = int.TryParse(Environment.GetEnvironmentVariable("DSL_CUSTOM_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20261202;
            var stats = new Stats();
            var clock = PropertyClock.Start();
            for (int start = 0; start < cases; start += BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(BatchSize, cases - start)).Select(i => new CCase(i, new Random(seed + i * 7919))).ToArray();
                CheckBatch(batch, stats);
            }
            _output.WriteLine($"{cases} cases (seed {seed}): {stats}; {clock}");
            Assert.True(stats.Ran + stats.ContractBroken >= cases / 8, stats.ToString());
            Assert.True(stats.Refused >= cases / 4, stats.ToString());
            Assert.True(stats.ContractBroken >= cases / 50, stats.ToString());
        }

        private sealed class Stats
        {
            public int Ran, ContractBroken, Refused, RefusedByDesign, UserErrors, UserOnly, OtherDiagnosed;
            public override string ToString() =>
                $"{Ran} compiled and ran to the declared output, {ContractBroken} compiled and failed the run-time contract check as expected, " +
                $"{Refused} refused with DSL020 where new T() does not compile ({UserErrors} of them also errors in the user's own code), " +
                $"{RefusedByDesign} refused with DSL020 for a network or block, {OtherDiagnosed} with another DSL error (an empty declared shape), " +
                $"{UserOnly} with an error only in the user's own code";
        }

        private static void CheckBatch(CCase[] batch, Stats stats)
        {
            // Source{2i}: the case; Source{2i+1}: its probe (new T() where the generated constructor writes it).
            var sources = batch.SelectMany(k => new[] { k.Render(), k.Probe() }).ToArray();
            var input = Harness.Compilation(sources);
            var driver = Harness.Driver(track: false).RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
            foreach (var r in driver.GetRunResult().Results)
                Assert.True(r.Exception is null, "The generator threw: " + r.Exception);
            Assert.Empty(generatorDiagnostics);
            var all = DiagnosticHarness.AnalyzeAll(output);
            Assert.True(!all.Any(d => d.Id is "AD0001" or "CS8785" or "DSL016"), "The analyzer or generator failed:\n" + string.Join("\n", all.Where(d => d.Id is "AD0001" or "CS8785" or "DSL016")));

            var generated = driver.GetRunResult().GeneratedTrees.ToHashSet();
            // The generated code never has an error; a warning only where the user chose an obsolete (as a warning) constructor or type.
            foreach (var d in all.Where(d => d.Location.SourceTree is { } t && generated.Contains(t) && d.Severity >= DiagnosticSeverity.Warning))
            {
                var owner = batch.FirstOrDefault(k => d.Location.SourceTree!.FilePath.Contains($"Case{k.Index}.", StringComparison.Ordinal));
                bool obsoleteWarning = d.Id is "CS0618" or "CS0612" && owner is not null && owner.ObsoleteWarning;
                Assert.True(obsoleteWarning, $"Generated code has {d}\n{owner?.Render()}\n{d.Location.SourceTree}");
            }

            // The assembly that runs leaves out the probes and the cases whose own code does not compile (with their generated code).
            var excluded = batch.Where((k, i) => all.Any(d => d.Location.SourceTree?.FilePath == $"Source{2 * i}.cs" && d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("DSL", StringComparison.Ordinal)))
                .Select(k => k.Index).ToHashSet();
            bool Runs(SyntaxTree t)
            {
                if (t.FilePath.StartsWith("Source", StringComparison.Ordinal))
                {
                    int n = int.Parse(t.FilePath.Substring(6, t.FilePath.Length - 9), CultureInfo.InvariantCulture);
                    return n % 2 == 0 && !excluded.Contains(batch[n / 2].Index);
                }
                return !excluded.Any(x => t.FilePath.Contains($"Case{x}.", StringComparison.Ordinal));
            }
            System.Reflection.Assembly? assembly = null;
            for (int i = 0; i < batch.Length; i++)
            {
                var k = batch[i];
                string file = $"Source{2 * i}.cs", probe = $"Source{2 * i + 1}.cs";
                var mine = all.Where(d => d.Location.SourceTree?.FilePath == file).ToArray();
                var dsl = mine.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error).ToArray();
                var probeErrors = all.Where(d => d.Location.SourceTree?.FilePath == probe && d.Severity == DiagnosticSeverity.Error).ToArray();
                var userErrors = mine.Where(d => !d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error).ToArray();
                string listing = $"case {k.Index}:\n{k.Render()}\nprobe: {string.Join("; ", probeErrors.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture)))}\n" +
                                 $"diagnostics: {string.Join("\n", mine.Where(d => d.Severity == DiagnosticSeverity.Error).Select(DiagnosticHarness.Render))}";
                bool refused = probeErrors.Length > 0 || k.Substitute != 0;
                if (!refused && userErrors.Length > 0)
                {
                    // The user's own code does not compile where the generated code would (a type private to the network
                    // named in a block's attribute): the compiler has said why; the generated code still has no error.
                    stats.UserOnly++;
                    continue;
                }
                bool has020 = dsl.Any(d => d.Id == "DSL020");
                Assert.True(refused == has020, (refused ? "new T() does not compile (or T is a network or block), but no DSL020" : "new T() compiles, but DSL020") + ":\n" + listing);
                foreach (var d in dsl.Where(d => d.Id == "DSL020"))
                    Assert.Contains("cannot use ", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                if (refused)
                {
                    if (k.Substitute != 0) stats.RefusedByDesign++;
                    else stats.Refused++;
                    if (userErrors.Length > 0) stats.UserErrors++;
                    continue;
                }
                var simulation = k.Simulate();
                if (simulation.Empty)
                {
                    Assert.True(dsl.Length > 0, "A declared output shape with an empty dimension, but no DSL error:\n" + listing);
                    stats.OtherDiagnosed++;
                    continue;
                }
                Assert.True(dsl.Length == 0, "DSL errors for a case the compiler and the declared shapes accept:\n" + listing);

                if (assembly is null)
                {
                    using var pe = new System.IO.MemoryStream();
                    var emitted = output.RemoveSyntaxTrees(output.SyntaxTrees.Where(t => !Runs(t))).Emit(pe);
                    Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
                    assembly = System.Reflection.Assembly.Load(pe.ToArray());
                }
                Run(assembly.GetType($"Case{k.Index}.Net", throwOnError: true)!, k, simulation, listing, stats);
            }
        }

        private static void Run(Type type, CCase k, Simulation expected, string listing, Stats stats)
        {
            using var scope = NewDisposeScope();
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            nn.Module<Tensor, Tensor> net;
            try
            {
                net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"No DSL error, but the network cannot be created: {(e.InnerException ?? e).Message}\n{listing}");
            }
            using (net)
            {
                net.eval();
                long parameters = net.parameters().Sum(p => p.numel());
                Assert.True(parameters == info.TotalParameters, $"{parameters} parameters, Info says {info.TotalParameters}\n{listing}");
                Assert.True(info.Layers.Count(l => l.Type == "Custom") == k.Count, $"Info lists {info.Layers.Count(l => l.Type == "Custom")} custom layers, not {k.Count}\n{listing}");
                Tensor? y = null;
                Exception? failure = null;
                try
                {
                    using (no_grad()) y = net.call(randn(2, 3, 8, 8));
                }
                catch (Exception e)
                {
                    failure = e;
                }
                if (expected.Broken)
                {
                    Assert.True(failure is InvalidOperationException, $"The module breaks its declared contract, but the network gave {(failure is null ? "[" + string.Join(", ", y!.shape) + "]" : failure.GetType().Name + ": " + failure.Message)}\n{listing}");
                    // The check names the network, or the block class that holds the layer, and the layer's path.
                    Assert.Matches(k.Placement == 0 || k.Placement == 3 ? "^Net: the custom layer '" : "^(Net|B): the custom layer '", failure!.Message);
                    Assert.Contains(expected.Null ? "returned null instead of a tensor" : "returned [", failure.Message, StringComparison.Ordinal);
                    stats.ContractBroken++;
                }
                else
                {
                    Assert.True(failure is null, $"No DSL error and the module keeps its contract, but the forward throws {failure?.GetType().Name}: {failure?.Message}\n{listing}");
                    Assert.Equal(new long[] { 2, 2 }, y!.shape);
                    stats.Ran++;
                }
                // The exporters know the layer's contract, not its computation: both refuse it, naming [Custom<T>].
                var onnx = Assert.Throws<OnnxExportException>(() => ((IDeclaredNetwork)net).ToOnnx());
                Assert.Contains("[Custom<T>]", onnx.Message, StringComparison.Ordinal);
                var twin = Assert.Throws<NotSupportedException>(() => PyTorchTwin.Render(info));
                Assert.Contains("[Custom<T>]", twin.Message, StringComparison.Ordinal);
            }
        }

        /// <summary>What the network does at run time, worked out here: whether a custom layer breaks its contract first, or a declared shape is empty.</summary>
        internal readonly record struct Simulation(bool Empty, bool Broken, bool Null);

        private sealed record Ctor(string Access, int Parameters, int Obsolete, bool SetsRequired);

        /// <summary>One drawn case: a module class (or a network or block in its place) used as a custom layer of network Net.</summary>
        private sealed class CCase
        {
            private static readonly string[] NamespaceAccess = { "public", "internal" };
            private static readonly string[] NestedAccess = { "public", "internal", "private", "protected", "protected internal", "private protected" };
            private static readonly string[] CtorAccess = { "public", "public", "public", "internal", "protected", "private", "protected internal", "private protected" };
            // Parameter lists of a constructor: none, a required one, optional ones, params; each list at most once per class.
            private static readonly string[] ParameterLists = { "", "int width, int height", "int width = 1", "params int[] dims", "double factor = 2.0, string label = \"m\"" };
            // Declared output shapes: null is the input's shape.
            private static readonly string?[] Declared = { null, null, "\"d0, d1, d2\"", "\"c, h / 2, w / 2\"", "new[] { 3, 4, 4 }", "new[] { 3, 8, 8 }", "\"c * 2, h, w\"", "\"c, h / 16, w\"" };
            private static readonly string[] Forwards = { "x", "global::TorchSharp.torch.nn.functional.avg_pool2d(x, 2)", "null!", "x.narrow(0, 0, 1)", "x * scale" };

            public CCase(int index, Random r)
            {
                Index = index;
                Container = r.Next(10) switch { < 5 => 0, 5 or 6 => 1, 7 => 2, _ => 3 };
                // A class nested in the network may not take a member name every network has (DSL015, tested elsewhere).
                var avoid = new HashSet<string>(StringComparer.Ordinal) { "Net", "Net2", "B", "B2", "Outer", "ModuleBase" };
                if (Container == 3) avoid.UnionWith(new[] { "Info", "Graph", "Summary", "forward", "InputShape", "OutputShape" });
                do Module = NameFuzzTests.ClassNames[r.Next(NameFuzzTests.ClassNames.Length)]; while (avoid.Contains(Module.TrimStart('@')));
                Access = Container == 0 ? NamespaceAccess[r.Next(2)] : r.Next(2) == 0 ? "public" : NestedAccess[r.Next(NestedAccess.Length)];
                Modifier = r.Next(8) switch { 0 => "abstract ", < 4 => "sealed ", _ => "" };
                Generic = r.Next(6) == 0;
                Base = r.Next(12) switch { < 7 => 0, < 10 => 1, 10 => 2, _ => 3 };
                TypeObsolete = r.Next(14) switch { 0 => 1, 1 => 2, _ => 0 };
                var lists = Enumerable.Range(0, ParameterLists.Length).OrderBy(_ => r.Next()).ToList();
                int count = Base == 3 && r.Next(2) == 0 ? 0 : r.Next(3) == 0 ? 2 : 1;
                // The first constructor is most often parameterless and public, so many cases get as far as running.
                Ctors = Enumerable.Range(0, count).Select(j => new Ctor(
                    j == 0 && r.Next(2) == 0 ? "public" : CtorAccess[r.Next(CtorAccess.Length)],
                    j == 0 && r.Next(2) == 0 ? 0 : lists[j] == 0 ? lists[ParameterLists.Length - 1 - j] : lists[j],
                    r.Next(10) switch { 0 => 1, 1 => 2, _ => 0 },
                    r.Next(3) == 0)).ToArray();
                if (Ctors.Length == 2 && Ctors[0].Parameters == Ctors[1].Parameters) Ctors = Ctors.Take(1).ToArray();
                RequiredInClass = r.Next(6) == 0 ? (r.Next(2) == 0 ? "public required int Width { get; init; }" : "public required double Scale;") : null;
                RequiredInBase = Base == 1 && r.Next(6) == 0;
                Forward = r.Next(10) switch { < 4 => 0, < 6 => 1, 6 => 2, 7 => 3, _ => 4 };
                OutputShape = Declared[r.Next(Declared.Length)];
                if (Forward == 1 && r.Next(2) == 0) OutputShape = r.Next(2) == 0 ? "\"c, h / 2, w / 2\"" : "new[] { 3, 4, 4 }";
                Count = r.Next(4) == 0 ? 2 : 1;
                Placement = r.Next(7) switch { < 3 => 0, 3 or 4 => 1, 5 => 2, _ => 3 };
                Substitute = r.Next(16) switch { 0 => 1, 1 => 2, 2 => 3, _ => 0 };
            }

            public int Index { get; }
            public string Module { get; }
            public int Container { get; }
            public string Access { get; }
            public string Modifier { get; }
            public bool Generic { get; }
            public int Base { get; }
            public int TypeObsolete { get; }
            private Ctor[] Ctors { get; }
            public string? RequiredInClass { get; }
            public bool RequiredInBase { get; }
            public int Forward { get; }
            public string? OutputShape { get; }
            public int Count { get; }
            public int Placement { get; }
            public int Substitute { get; }

            /// <summary>Whether the user chose something obsolete as a warning, which new T() in generated code rightly warns about.</summary>
            public bool ObsoleteWarning => TypeObsolete == 1 || Ctors.Any(c => c.Obsolete == 1);

            /// <summary>The type argument of [Custom&lt;T&gt;], fully qualified.</summary>
            public string TypeArgument => Substitute switch
            {
                1 => $"global::Case{Index}.Net2",
                2 => $"global::Case{Index}.Net",
                3 => $"global::Case{Index}.B2",
                _ => $"global::Case{Index}." + (Container switch { 1 or 2 => "Outer.", 3 => "Net.", _ => "" }) + Module + (Generic ? "<int>" : ""),
            };

            private const string T = "global::TorchSharp.torch.Tensor";

            private string ModuleClass()
            {
                string name = Module;
                var sb = new StringBuilder();
                if (TypeObsolete != 0) sb.Append("[global::System.Obsolete(\"replaced\"").Append(TypeObsolete == 2 ? ", true" : "").Append(")]\n");
                string baseType = Base switch
                {
                    0 => $" : global::TorchSharp.torch.nn.Module<{T}, {T}>",
                    1 => " : ModuleBase",
                    2 => $" : global::TorchSharp.torch.nn.Module<{T}, {T}, {T}>",
                    _ => "",
                };
                sb.Append(Access).Append(' ').Append(Modifier).Append("class ").Append(name).Append(Generic ? "<TItem>" : "").Append(baseType).Append("\n{\n");
                if (Forward == 4 && Base is 0 or 1)
                    sb.Append("    private readonly global::TorchSharp.Modules.Parameter scale = global::TorchSharp.torch.nn.Parameter(global::TorchSharp.torch.ones(1));\n");
                foreach (var c in Ctors)
                {
                    if (c.Obsolete != 0) sb.Append("    [global::System.Obsolete(\"old\"").Append(c.Obsolete == 2 ? ", true" : "").Append(")]\n");
                    if (c.SetsRequired) sb.Append("    [global::System.Diagnostics.CodeAnalysis.SetsRequiredMembers]\n");
                    sb.Append("    ").Append(c.Access).Append(' ').Append(name).Append('(').Append(ParameterLists[c.Parameters]).Append(')')
                      .Append(Base == 3 ? " { }\n" : " : base(\"m\") { RegisterComponents(); }\n");
                }
                if (RequiredInClass is not null) sb.Append("    ").Append(RequiredInClass).Append('\n');
                sb.Append(Base switch
                {
                    0 or 1 => $"    public override {T} forward({T} x) => {Forwards[Forward]};\n",
                    2 => $"    public override {T} forward({T} x, {T} y) => x;\n",
                    _ => $"    public {T} forward({T} x) => x;\n",
                });
                sb.Append("}\n");
                return sb.ToString();
            }

            private string Attribute()
            {
                var args = new List<string>();
                if (OutputShape is not null) args.Add("OutputShape = " + OutputShape);
                if (Forward == 4) args.Add("Parameters = 1");
                return $"[Custom<{TypeArgument}>({string.Join(", ", args)})]";
            }

            public string Render()
            {
                var sb = new StringBuilder();
                sb.Append("using Dsl;\nnamespace Case").Append(Index.ToString(CultureInfo.InvariantCulture)).Append(";\n\n");
                sb.Append("public abstract class ModuleBase : global::TorchSharp.torch.nn.Module<").Append(T).Append(", ").Append(T).Append(">\n{\n")
                  .Append("    protected ModuleBase(string name) : base(name) { }\n")
                  .Append(RequiredInBase ? "    public required int Depth { get; init; }\n" : "").Append("}\n");
                sb.Append("[Input(3, 8, 8)] [ReLU] public partial class Net2;\n");
                sb.Append("[Block] [ReLU] public partial class B2;\n");
                string module = ModuleClass();
                if (Container == 0) sb.Append(module);
                else if (Container is 1 or 2) sb.Append(Container == 1 ? "public" : "internal").Append(" class Outer\n{\n").Append(module).Append("}\n");
                string layers = string.Concat(Enumerable.Repeat(Attribute() + " ", Count));
                switch (Placement)
                {
                    case 1: sb.Append("[Block(Body = \"body\")] ").Append(layers).Append("public partial class B;\n"); break;
                    case 2: sb.Append("[Block] ").Append(layers).Append("[ReLU] public partial class B;\n"); break;
                    case 3: sb.Append("[Block] ").Append(layers).Append("public partial class B;\n"); break;
                }
                string use = Placement switch { 0 => layers, 3 => "[Use<B>(Inline = true)] ", _ => "[Use<B>] " };
                sb.Append("[Input(3, 8, 8)] ").Append(use).Append("[Flatten] [Linear(2)]\npublic partial class Net").Append(Container == 3 ? "\n{\n" + module + "}\n" : ";\n");
                return sb.ToString();
            }

            /// <summary>A method of the network class (where the generated constructor writes new T()) that creates the module as a Module&lt;Tensor, Tensor&gt;.</summary>
            public string Probe() =>
                $"namespace Case{Index.ToString(CultureInfo.InvariantCulture)};\npartial class Net\n{{\n" +
                $"    private static global::TorchSharp.torch.nn.Module<{T}, {T}> Probe__() => new {TypeArgument}();\n}}\n";

            /// <summary>The forward worked out here: each custom layer's real output against its declared one, from [N=2, 3, 8, 8].</summary>
            public Simulation Simulate()
            {
                long[] declared = { 3, 8, 8 };
                bool broken = false, isNull = false;
                for (int u = 0; u < Count; u++)
                {
                    long c = declared[0], h = declared[1], w = declared[2];
                    long[] next = OutputShape switch
                    {
                        null or "\"d0, d1, d2\"" => new[] { c, h, w },
                        "\"c, h / 2, w / 2\"" => new[] { c, h / 2, w / 2 },
                        "new[] { 3, 4, 4 }" => new long[] { 3, 4, 4 },
                        "new[] { 3, 8, 8 }" => new long[] { 3, 8, 8 },
                        "\"c * 2, h, w\"" => new[] { c * 2, h, w },
                        "\"c, h / 16, w\"" => new[] { c, h / 16, w },
                        _ => throw new InvalidOperationException(OutputShape),
                    };
                    if (next.Any(d => d < 1)) return new Simulation(true, false, false);
                    // What the module really returns for the (batch 2) input it gets, while nothing has failed yet.
                    long[]? actual = Forward switch
                    {
                        0 or 4 => new[] { 2, c, h, w },
                        1 => new[] { 2, c, h / 2, w / 2 },
                        2 => null,
                        _ => new[] { 1, c, h, w },
                    };
                    if (!broken && (actual is null || !actual.SequenceEqual(new long[] { 2 }.Concat(next))))
                    {
                        broken = true;
                        isNull = actual is null;
                    }
                    declared = next;
                }
                return new Simulation(false, broken, isNull);
            }
        }
    }
}
