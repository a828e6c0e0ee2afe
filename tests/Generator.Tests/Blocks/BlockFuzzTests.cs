using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using System.Text;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>
    /// Property test over random user-declared blocks: parameters bound by position and by name, defaults, With
    /// expressions (some real-valued, made whole by round, floor, ceil, int or make_divisible; some reading in, block_in
    /// or layer_in, where 'in' after a layer that changed the channels must be an error), When conditions (with
    /// short-circuit && and ||), repeated nested uses (0 to 3 times, arguments reading the index i and the running
    /// block_id and block_count, some named by a pattern such as "r{i}"), layer parameters ("act0 = ReLU" with
    /// [LayerKind("act0")], uses passing another kind or their own layer parameter on), nested uses, every merge (Add with and without a Shortcut block, Concat, Multiply
    /// with an SE-style gate), Body names, Sequential and class blocks; layer, Body and ShortcutName names and block class
    /// names now and then drawn from the name property test's lists. Each case is also built here, independently of
    /// the generator, as plain TorchSharp modules keyed by the names the README promises and a forward written with
    /// + / torch.cat / *. A valid case must have no diagnostic (or one that refuses a hostile name it chose), and the
    /// generated module must have the same state_dict keys and shapes, parameter count, output shape and logits (same
    /// weights, eval mode), an ONNX model that computes the same logits and a twin that imports with the same keys. An
    /// invalid case must have a DSL diagnostic, and neither the generator nor the analyzer may throw.
    /// DSL_BLOCK_FUZZ_CASES (default 600) and DSL_BLOCK_FUZZ_SEED (default 20261129) configure the run.
    /// </summary>
    public class BlockFuzzTests
    {
        private const int BatchSize = 25;
        private readonly ITestOutputHelper _output;

        public BlockFuzzTests(ITestOutputHelper output) => _output = output;

        [SkippableFact]
        public void Random_blocks_agree_with_an_independent_TorchSharp_build()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_BLOCK_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 600;
            int seed = int.TryParse(Environment.GetEnvironmentVariable("DSL_BLOCK_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20261129;
            int valid = 0, invalid = 0, names = 0, parallel = 0, repeated = 0;
            var merges = new int[4];
            var clock = PropertyClock.Start();
            // The language's features in the cases compared with the independent build (valid ones), by the text that shows them.
            var compared = Features.ToDictionary(f => f, _ => 0, StringComparer.Ordinal);
            using var exports = new ExportChecks("block-fuzz");
            for (int start = 0; start < cases; start += BatchSize)
            {
                var batch = Enumerable.Range(start, Math.Min(BatchSize, cases - start)).Select(i => BCase.Draw(new Random(seed + i * 7919), i)).ToArray();
                foreach (var k in batch) foreach (var b in k.Blocks) { merges[b.Merge]++; if (b.Parallel != 0) parallel++; repeated += b.Layers.OfType<BUse>().Count(u => u.Repeat >= 0); }
                var (v, n, refused) = CheckBatch(batch, exports, compared);
                valid += v;
                invalid += n;
                names += refused;
            }
            Assert.True(valid >= cases / 3, $"Too few valid cases: {valid} of {cases}");
            Assert.True(invalid >= cases / 20, $"Too few invalid cases: {invalid} of {cases}");
            Assert.True(repeated >= cases / 20, $"Too few repeated uses drawn: {repeated} in {cases} cases");
            string? python = exports.CheckTwins();
            _output.WriteLine($"{cases} cases (seed {seed}): {valid} valid and compared (with their ONNX models), {invalid} invalid and diagnosed (a block's own declaration problem alone is not counted), " +
                $"{names} with a hostile name refused; blocks by merge None/Add/Concat/Multiply: {string.Join("/", merges)}, {parallel} parallel; {repeated} repeated uses; valid cases with " +
                string.Join(", ", compared.Select(p => $"{p.Key}: {p.Value}")) + $"; twins {(python is null ? "imported: " + exports.Twins : "not checked: " + python)}; {clock}");
            foreach (var (feature, count) in compared)
                Assert.True(count >= cases / 100, $"Too few valid cases with {feature} compared: {count} in {cases} cases");
            Skip.If(python is not null, python);
        }

        /// <summary>Features of the language a valid case must exercise now and then (texts of the declaration that show them).</summary>
        private static readonly string[] Features = { "Repeat = ", "{i", "block_id", "block_count", "LayerKind(", "layer_in", "block_in", "make_divisible(", "round(" };

        /// <summary>Whether <paramref name="d"/> refuses one of the names the case chose (DSL013 for a network layer, DSL018 in a block).</summary>
        private static bool IsNameProblem(Diagnostic d, ISet<string> chosen)
        {
            if (d.Id is not ("DSL013" or "DSL018")) return false;
            string message = d.GetMessage(CultureInfo.InvariantCulture);
            return chosen.Any(n => new[] { "name '", "Name '", "Body '", "ShortcutName '" }.Any(what => message.Contains(what + n + "'", StringComparison.Ordinal)));
        }

        private static (int Valid, int Invalid, int NamesRefused) CheckBatch(BCase[] batch, ExportChecks exports, Dictionary<string, int> compared)
        {
            var trees = batch.Select(k => CSharpSyntaxTree.ParseText(k.Render(), DiagnosticHarness.ParseOptions, path: $"/src/Case{k.Index}.cs", encoding: Encoding.UTF8)).ToArray();
            var compilation = CSharpCompilation.Create("BlockFuzz" + Guid.NewGuid().ToString("N"), trees, DiagnosticHarness.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new NetworkGenerator());
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var run = driver.GetRunResult();
            foreach (var r in run.Results) Assert.True(r.Exception is null, "The generator threw: " + r.Exception + "\n" + string.Join("\n", batch.Select(k => k.Render())));
            Assert.Empty(generatorDiagnostics);
            var all = output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer())).GetAllDiagnosticsAsync().GetAwaiter().GetResult();
            Assert.True(!all.Any(d => d.Id is "AD0001" or "CS8785" or "DSL016"), "The analyzer or generator failed:\n" + string.Join("\n", all.Where(d => d.Id is "AD0001" or "CS8785" or "DSL016")));
            // Whatever the declarations, everything but the DSL's own diagnostics is clean: stubs and modules compile.
            var other = all.Where(d => !d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning).ToArray();
            Assert.True(other.Length == 0, "Compiler diagnostics:\n" + string.Join("\n", other.Select(d => d.ToString() + "\n" + d.Location.SourceTree)));
            var generated = run.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).ToHashSet(StringComparer.Ordinal);

            int valid = 0, invalid = 0, namesRefused = 0;
            AssemblyLoadContext? context = null;
            System.Reflection.Assembly? assembly = null;
            try
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    var k = batch[i];
                    var mine = all.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Location.SourceTree == trees[i]).ToArray();
                    string listing = $"case {k.Index}:\n{k.Render()}\n{string.Join("\n", mine.Select(DiagnosticHarness.Render))}";
                    string? why = Reference.Validity(k);
                    if (why is not null)
                    {
                        Assert.True(mine.Length > 0, $"The independent build fails ({why}) but no diagnostic was reported:\n{listing}");
                        Assert.True(mine.All(d => d.Severity == DiagnosticSeverity.Error), listing);
                        Assert.True(generated.Contains($"Case{k.Index}.Net.g.cs") && !generated.Contains($"Case{k.Index}.Net.Info.g.cs"), "Expected a stub:\n" + listing);
                        invalid++;
                        continue;
                    }
                    // A hostile name (from the name property test's list) may be refused: then the diagnostic names it. Which
                    // names are legal is the name policy's to say; that an accepted one gives the promised keys is checked below.
                    var chosen = k.ChosenNames.ToHashSet(StringComparer.Ordinal);
                    if (mine.Any(d => IsNameProblem(d, chosen)))
                    {
                        Assert.True(mine.All(d => d.Severity == DiagnosticSeverity.Error), listing);
                        Assert.True(generated.Contains($"Case{k.Index}.Net.g.cs") && !generated.Contains($"Case{k.Index}.Net.Info.g.cs"), "Expected a stub:\n" + listing);
                        namesRefused++;
                        continue;
                    }
                    // A block's own declaration problem is reported at the block, used or not; the network is still built.
                    // So is a nested use whose arguments do not bind, wherever it is (an unused block, a use whose When is false).
                    int declarationProblems = k.Blocks.Sum(b => b.Parallel != 0 && b.Body is not null ? 1 : Reference.StaticProblems(k, b).Count);
                    string[] ownProblems = { "remove Body", "arguments given", "has no parameter", "is given twice", "missing argument" };
                    Assert.True(mine.Length == declarationProblems && mine.All(d => d.Id == "DSL018" && ownProblems.Any(p => d.GetMessage(CultureInfo.InvariantCulture).Contains(p, StringComparison.Ordinal))),
                        "Diagnostics for a case the independent build runs:\n" + listing);
                    if (assembly is null)
                    {
                        using var pe = new MemoryStream();
                        var emitted = output.Emit(pe);
                        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
                        pe.Position = 0;
                        context = new AssemblyLoadContext("blockfuzz", isCollectible: true);
                        assembly = context.LoadFromStream(pe);
                    }
                    Compare(assembly.GetType($"Case{k.Index}.Net", throwOnError: true)!, k, listing, exports);
                    valid++;
                    string text = k.Render();
                    foreach (var feature in Features.Where(f => text.Contains(f, StringComparison.Ordinal))) compared[feature]++;
                }
            }
            finally
            {
                context?.Unload();
            }
            return (valid, invalid, namesRefused);
        }

        private static void Compare(Type type, BCase k, string listing, ExportChecks exports)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            torch.manual_seed(k.Index);
            using var net = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            net.eval();
            var theirs = net.state_dict();
            // Statistics and scales away from their initial values, so a BatchNorm wired wrongly shows.
            foreach (var (key, tensor) in theirs)
            {
                if (key.EndsWith(".running_var", StringComparison.Ordinal) || (key.EndsWith(".weight", StringComparison.Ordinal) && tensor.dim() == 1)) tensor.uniform_(0.5, 1.5);
                else if (key.EndsWith(".running_mean", StringComparison.Ordinal) || (key.EndsWith(".bias", StringComparison.Ordinal) && tensor.dim() == 1)) tensor.uniform_(-0.5, 0.5);
            }

            var input = torch.randn(2, k.Channels, k.Height, k.Width);
            using var reference = new Reference();
            reference.Forward(k, input); // builds the modules
            var ours = reference.StateDict();
            string Keys(IEnumerable<KeyValuePair<string, Tensor>> d) => string.Join("\n", d.Select(p => p.Key + " [" + string.Join(", ", p.Value.shape) + "]").OrderBy(t => t, StringComparer.Ordinal));
            Assert.True(Keys(ours) == Keys(theirs), $"state_dict differs.\nindependent:\n{Keys(ours)}\ngenerated:\n{Keys(theirs)}\n{listing}");
            long count = reference.Parameters;
            Assert.True(count == net.parameters().Sum(p => p.numel()), listing);
            Assert.True(count == (long)type.GetField("ParameterCount")!.GetValue(null)!, $"ParameterCount {type.GetField("ParameterCount")!.GetValue(null)} but {count}\n{listing}");

            foreach (var (key, tensor) in ours) tensor.copy_(theirs[key]);
            var expected = reference.Forward(k, input);
            Tensor actual;
            try
            {
                actual = net.call(input);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"The generated forward throws: {e.Message.Split('\n')[0]}\n{listing}");
            }
            Assert.True(expected.shape.SequenceEqual(actual.shape), $"output [{string.Join(", ", actual.shape)}], independent [{string.Join(", ", expected.shape)}]\n{listing}");
            var info = (NetworkInfo)type.GetProperty("Info")!.GetValue(null)!;
            Assert.True(info.OutputShape.ToArray().SequenceEqual(expected.shape.Skip(1)), listing);
            double difference = (expected - actual).abs().max().item<float>();
            double tolerance = 1e-5 * Math.Max(1.0, expected.abs().max().item<float>());
            Assert.True(difference <= tolerance, $"logits differ by {difference}\n{listing}");
            ExportChecks.Onnx(net, input, actual, listing);
            exports.AddTwin(info, theirs.Keys, listing);
        }
    }

    // ---- expressions: an AST rendered as text for the generator and evaluated here (never parsed here) --------------------

    internal abstract record BE
    {
        public abstract string Text { get; }

        /// <summary>The value, or null when it cannot be computed (division by zero, unknown name).</summary>
        public abstract long? Eval(IReadOnlyDictionary<string, long> env);

        public static BE N(long v) => new BNum(v);
        public static BE V(string name) => new BVar(name);
        public static BE Op(string op, BE a, BE b) => new BBin(op, a, b);
        public override string ToString() => Text;
    }

    internal sealed record BNum(long Value) : BE
    {
        public override string Text => Value.ToString(CultureInfo.InvariantCulture);
        public override long? Eval(IReadOnlyDictionary<string, long> env) => Value;
    }

    internal sealed record BVar(string Name) : BE
    {
        public override string Text => Name;
        public override long? Eval(IReadOnlyDictionary<string, long> env) => env.TryGetValue(Name, out var v) ? v : null;
    }

    internal sealed record BBin(string Operator, BE A, BE B) : BE
    {
        public override string Text => Operator is "min" or "max" ? $"{Operator}({A.Text}, {B.Text})" : $"({A.Text} {Operator} {B.Text})";

        public override long? Eval(IReadOnlyDictionary<string, long> env)
        {
            // && and || stop at the operand that decides them (the right one is then not evaluated, not even for its errors).
            if (Operator is "&&" or "||")
            {
                if (A.Eval(env) is not { } first) return null;
                if ((first != 0) == (Operator == "||")) return Operator == "||" ? 1 : 0;
                return B.Eval(env) is { } second ? (second != 0 ? 1 : 0) : null;
            }
            if (A.Eval(env) is not { } a || B.Eval(env) is not { } b) return null;
            switch (Operator)
            {
                case "+": return a + b;
                case "-": return a - b;
                case "*": return a * b;
                case "/":
                {
                    if (b == 0) return null;
                    long q = a / b;
                    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q; // Python's //
                }
                case "%":
                {
                    if (b == 0) return null;
                    long r = a % b;
                    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
                }
                case "==": return a == b ? 1 : 0;
                case "!=": return a != b ? 1 : 0;
                case "<": return a < b ? 1 : 0;
                case ">=": return a >= b ? 1 : 0;
                case "&&": return a != 0 && b != 0 ? 1 : 0;
                case "||": return a != 0 || b != 0 ? 1 : 0;
                case "min": return Math.Min(a, b);
                case "max": return Math.Max(a, b);
                default: throw new InvalidOperationException(Operator);
            }
        }
    }

    /// <summary>
    /// A real-valued expression made whole again: <c>round(x * 0.75)</c> (halves to even), <c>floor(x / 2.0)</c>,
    /// <c>ceil(x * 1.5)</c>, <c>int(x * 0.5)</c> (towards zero) or <c>make_divisible(x * 0.75, 2)</c> (torchvision's rule,
    /// written out here: <c>max(2, int(v + 1) // 2 * 2)</c>, plus 2 when that is below 90% of v).
    /// </summary>
    internal sealed record BReal(string Function, BE Inner, double Factor) : BE
    {
        private string Real => Factor.ToString("0.0##", CultureInfo.InvariantCulture);

        public override string Text => Function switch
        {
            "floor" => $"floor({Inner.Text} / {Real})",
            "make_divisible" => $"make_divisible({Inner.Text} * {Real}, 2)",
            _ => $"{Function}({Inner.Text} * {Real})",
        };

        public override long? Eval(IReadOnlyDictionary<string, long> env)
        {
            if (Inner.Eval(env) is not { } v) return null;
            double x = Function == "floor" ? v / Factor : v * Factor;
            switch (Function)
            {
                case "round": return (long)Math.Round(x, MidpointRounding.ToEven);
                case "floor": return (long)Math.Floor(x);
                case "ceil": return (long)Math.Ceiling(x);
                case "int": return (long)Math.Truncate(x);
                default:
                    long t = (long)Math.Truncate(x + 1.0);
                    long rounded = (long)Math.Floor(t / 2.0) * 2;
                    long made = Math.Max(2, rounded);
                    return made < 0.9 * x ? made + 2 : made;
            }
        }
    }

    internal sealed record BCond(BE Condition, BE Then, BE Else) : BE
    {
        public override string Text => $"({Condition.Text} ? {Then.Text} : {Else.Text})";
        public override long? Eval(IReadOnlyDictionary<string, long> env) =>
            Condition.Eval(env) is not { } c ? null : c != 0 ? Then.Eval(env) : Else.Eval(env);
    }

    // ---- the test's own model of a case ---------------------------------------------------------------------------------

    /// <summary>A block parameter; <see cref="Role"/> says which values a use passes (c: channels, s: stride, f: flag, a: a layer kind).</summary>
    internal sealed record BParam(string Name, char Role, BE? Default);

    /// <summary>
    /// A layer kind as an argument: written (<c>"Sigmoid"</c>) or a layer parameter of the enclosing block passed on by
    /// name. It has no number; the independent build resolves it (<see cref="Reference"/>).
    /// </summary>
    internal sealed record BKind(string Name) : BE
    {
        /// <summary>The kinds drawn: activations and a normalisation, each with its independent module.</summary>
        public static readonly string[] Kinds = { "ReLU", "ReLU6", "Sigmoid", "Tanh", "Hardswish", "SiLU", "BatchNorm2d" };

        public override string Text => Name;
        public override long? Eval(IReadOnlyDictionary<string, long> env) => null;
    }

    /// <summary><c>[LayerKind("act")]</c>: the layer whose kind the block's layer parameter holds.</summary>
    internal sealed record BKindLayer(string? Name, BE? When, string Parameter) : BLayer(Name, When)
    {
        public override string Prefix => throw new InvalidOperationException("named after the kind it holds");
        public override string Attribute() => $"LayerKind(\"{Parameter}\"{Extras(false)})";
    }

    internal abstract record BLayer(string? Name, BE? When)
    {
        public abstract string Attribute();
        protected string Extras(bool first) =>
            (Name is null ? "" : (first ? "" : ", ") + "Name = " + SymbolDisplay.FormatLiteral(Name, quote: true)) + (When is null ? "" : (first && Name is null ? "" : ", ") + $"When = \"{When.Text}\"");
        /// <summary>Automatic-name prefix (README: conv1, bn1, relu1, ...; a block's use: its name with a lower-case first letter).</summary>
        public abstract string Prefix { get; }
    }

    /// <summary>A convolution, written positionally (an expression string as first argument) or all through With.</summary>
    internal sealed record BConv(string? Name, BE? When, BE Out, BE Kernel, BE Stride, bool Bias, int Form, char Separator) : BLayer(Name, When)
    {
        public override string Prefix => "conv";
        public override string Attribute()
        {
            string extras = Extras(false);
            string bias = Bias ? "" : ", Bias = false";
            if (Form == 0 && Kernel is BNum k)
                return $"Conv2d(\"{Out.Text}\", {k.Value}, Padding = {k.Value / 2}{bias}, With = \"Stride = {Stride.Text}\"{extras})";
            string sep = Separator + " ";
            return $"Conv2d(1, 1{bias}, With = \"OutChannels = {Out.Text}{sep}Kernel = {Kernel.Text}{sep}Stride = {Stride.Text}{sep}Padding = {Kernel.Text} / 2\"{extras})";
        }
    }

    internal sealed record BSimple(string? Name, BE? When, string Kind) : BLayer(Name, When)
    {
        public override string Prefix => Kind switch { "BatchNorm2d" => "bn", "AdaptiveAvgPool2d" => "gap", "Linear" => "fc", _ => Kind.ToLowerInvariant() };
        public override string Attribute() => Name is null && When is null ? Kind : $"{Kind}({Extras(true)})";
    }

    /// <summary>An argument of a use: by position (Parameter null) or "name = value".</summary>
    internal sealed record BArg(string? Parameter, BE Value, bool AsString)
    {
        public string Text => Parameter is not null ? $"\"{Parameter} = {Value.Text}\"" : AsString || Value is not BNum ? $"\"{Value.Text}\"" : Value.Text;
    }

    /// <summary>A use of a block; <see cref="Repeat"/> -1: not repeated, else repeated that many times (0 leaves it out), its arguments reading <c>i</c>.</summary>
    internal sealed record BUse(string? Name, BE? When, int Block, string BlockName, BArg[] Args, int Repeat = -1) : BLayer(Name, When)
    {
        public override string Prefix => char.ToLowerInvariant(BlockName[0]) + BlockName.Substring(1);
        public override string Attribute()
        {
            string extras = Extras(Args.Length == 0);
            string repeat = Repeat < 0 ? "" : (Args.Length == 0 && extras.Length == 0 ? "" : ", ") + $"Repeat = {Repeat}";
            return $"Use<{BlockName}>({string.Join(", ", Args.Select(a => a.Text))}{extras}{repeat})";
        }
    }

    internal sealed record BBlock(string Name, BParam[] Params, int Merge, BE? MergeWhen, string? Body, int? Shortcut, string? ShortcutName, List<BLayer> Layers, int Parallel = 0)
    {
        public bool IsSequential => Merge == 0 && Shortcut is null && Body is null && Parallel == 0;

        public string Render(BCase k)
        {
            var args = Params.Select(p => "\"" + p.Name + (p.Default is null ? "" : " = " + p.Default.Text) + "\"").ToList();
            if (Merge != 0) args.Add("Merge = Merge." + new[] { "None", "Add", "Concat", "Multiply" }[Merge]);
            if (Parallel != 0) args.Add("Parallel = Merge." + new[] { "None", "Add", "Concat", "Multiply" }[Parallel]);
            if (MergeWhen is not null) args.Add($"MergeWhen = \"{MergeWhen.Text}\"");
            if (Body is not null) args.Add("Body = " + SymbolDisplay.FormatLiteral(Body, quote: true));
            if (Shortcut is { } s) args.Add($"Shortcut = typeof({k.Blocks[s].Name})");
            if (ShortcutName is not null) args.Add("ShortcutName = " + SymbolDisplay.FormatLiteral(ShortcutName, quote: true));
            var text = new StringBuilder();
            text.Append("[Block(").Append(string.Join(", ", args)).Append(")]\n");
            foreach (var layer in Layers) text.Append('[').Append(layer.Attribute()).Append("]\n");
            text.Append("public partial class ").Append(Name).Append(";\n\n");
            return text.ToString();
        }
    }

    internal sealed record BCase(int Index, int Channels, int Height, int Width, List<BBlock> Blocks, List<BLayer> Top, int Classes)
    {
        public string Render()
        {
            var text = new StringBuilder($"using Dsl;\nnamespace Case{Index};\n\n");
            foreach (var b in Blocks) text.Append(b.Render(this));
            text.Append(CultureInfo.InvariantCulture, $"[Input({Channels}, {Height}, {Width})]\n");
            foreach (var layer in Top) text.Append('[').Append(layer.Attribute()).Append("]\n");
            text.Append(CultureInfo.InvariantCulture, $"[Flatten]\n[Linear({Classes})]\npublic partial class Net;\n");
            return text.ToString();
        }

        private static readonly string[] LayerNames = { "a", "b", "main", "conv1", "gate", "proj", "bn1" };
        private static readonly string[] BodyNames = { "body", "conv", "block", "layers" };

        /// <summary>
        /// Block class names from the name test's class names (<c>None</c>, <c>lambda</c>, <c>nn</c>, <c>Sequential</c>,
        /// <c>é</c>, ...) that are written without '@' and that Python reads as written: the README's automatic name of a
        /// use is then the name with a lower-case first letter and a number (<see cref="BUse.Prefix"/>).
        /// </summary>
        private static readonly string[] BlockNames = NameFuzzTests.ClassNames
            .Where(n => n[0] != '@' && n != "Net" && n == n.Normalize(NormalizationForm.FormKC) && !n.StartsWith("Short", StringComparison.Ordinal)).ToArray();

        /// <summary>Half the time an ordinary name of <paramref name="ordinary"/>, else one of the name property test's hostile names.</summary>
        private static string Named(Random r, string[] ordinary) =>
            r.Next(2) == 0 ? ordinary[r.Next(ordinary.Length)] : NameFuzzTests.HostileNames[r.Next(NameFuzzTests.HostileNames.Length)];

        /// <summary>Every name the case gives a layer, a body or a shortcut.</summary>
        public IEnumerable<string> ChosenNames =>
            Top.Concat(Blocks.SelectMany(b => b.Layers)).Select(l => l.Name).Concat(Blocks.Select(b => b.Body)).Concat(Blocks.Select(b => b.ShortcutName)).OfType<string>();

        /// <summary>A random case: 1 to 4 blocks (each may use the ones before it) and a network using them.</summary>
        public static BCase Draw(Random r, int index)
        {
            var blocks = new List<BBlock>();
            int count = r.Next(1, 5);
            for (int i = 0; i < count; i++) DrawBlock(r, blocks, i);
            var top = new List<BLayer>();
            int uses = r.Next(1, 4);
            for (int i = 0; i < uses; i++)
            {
                if (r.Next(6) == 0) { top.Add(new BConv(null, null, BE.N(r.Next(1, 9)), BE.N(3), BE.N(1), true, 0, ';')); continue; }
                int target = r.Next(blocks.Count);
                if (blocks[target].Name.StartsWith("Short", StringComparison.Ordinal)) target = 0;
                top.Add(new BUse(r.Next(8) == 0 ? Named(r, new[] { "u" + i }) : null, null, target, blocks[target].Name, DrawArgs(r, blocks[target], null)));
            }
            return new BCase(index, r.Next(1, 5), r.Next(4, 10), r.Next(4, 10), blocks, top, r.Next(2, 6));
        }

        private static BE Channel(Random r, BParam[] scope)
        {
            var cs = scope.Where(p => p.Role == 'c').ToArray();
            // Now and then a width through real arithmetic and a function (MobileNet's and EfficientNet's widths).
            if (r.Next(7) == 0)
                return new BReal(new[] { "round", "floor", "ceil", "int", "make_divisible" }[r.Next(5)], cs.Length > 0 && r.Next(2) == 0 ? BE.V(cs[0].Name) : BE.V("in"), new[] { 0.5, 0.75, 1.5, 2.0 }[r.Next(4)]);
            int pick = r.Next(10);
            if (pick < 5 && cs.Length > 0) return BE.V(cs[r.Next(cs.Length)].Name);
            // 'in' is the block's input: after a layer that changed the channels it is an error, layer_in and block_in are not.
            if (pick < 6) return BE.V(new[] { "in", "in", "layer_in", "block_in" }[r.Next(4)]);
            if (pick < 7) return BE.N(r.Next(1, 9));
            if (pick < 8) return BE.Op("max", BE.Op("/", cs.Length > 0 ? BE.V(cs[0].Name) : BE.V("in"), BE.N(r.Next(1, 3))), BE.N(1));
            if (pick < 9) return BE.Op("*", BE.V("in"), BE.N(2));
            return r.Next(8) == 0 ? BE.Op("-", BE.V("in"), BE.V("in")) : BE.Op("+", BE.V("in"), BE.N(1)); // rarely 0 channels
        }

        private static BE Stride(Random r, BParam[] scope)
        {
            var ss = scope.Where(p => p.Role == 's').ToArray();
            int pick = r.Next(6);
            if (pick < 3 && ss.Length > 0) return BE.V(ss[r.Next(ss.Length)].Name);
            if (pick < 4) return BE.N(1);
            if (pick < 5) return new BCond(Condition(r, scope), BE.N(1), BE.N(2));
            return BE.N(r.Next(0, 3)); // sometimes 0: invalid
        }

        private static BE Condition(Random r, BParam[] scope)
        {
            BE Term()
            {
                var numbers = scope.Where(q => q.Role != 'a').ToArray();
                var p = numbers.Length > 0 && r.Next(3) > 0 ? numbers[r.Next(numbers.Length)] : null;
                return p is null
                    ? BE.Op(r.Next(2) == 0 ? "<" : "==", BE.V("in"), BE.N(r.Next(1, 9)))
                    : p.Role == 'f' ? (r.Next(2) == 0 ? BE.V(p.Name) : BE.Op("!=", BE.V(p.Name), BE.N(0)))
                    : BE.Op(new[] { "==", "!=", "<", ">=" }[r.Next(4)], BE.V(p.Name), r.Next(2) == 0 ? BE.V("in") : BE.N(r.Next(1, 4)));
            }
            var t = Term();
            if (r.Next(3) == 0) t = BE.Op(r.Next(2) == 0 ? "&&" : "||", t, Term());
            if (r.Next(25) == 0) t = BE.Op("==", BE.Op("%", BE.V("in"), BE.Op("-", BE.V("in"), BE.V("in"))), BE.N(0)); // division by zero
            return t;
        }

        private static BParam[] DrawParams(Random r)
        {
            int n = r.Next(0, 4);
            var list = new List<BParam>();
            for (int i = 0; i < n; i++)
            {
                char role = "ccsfa"[r.Next(5)];
                string name = role switch { 'c' => "ch", 's' => "stride", 'a' => "act", _ => "flag" } + i.ToString(CultureInfo.InvariantCulture);
                if (role == 'a')
                {
                    // A layer parameter: its default is a kind (which makes it one).
                    list.Add(new BParam(name, role, new BKind(BKind.Kinds[r.Next(BKind.Kinds.Length)])));
                    continue;
                }
                BE? fallback = r.Next(3) != 0 ? null : role switch
                {
                    'c' => r.Next(2) == 0 ? BE.V("in") : list.FirstOrDefault(p => p.Role == 'c') is { } earlier ? BE.Op("*", BE.V(earlier.Name), BE.N(2)) : BE.Op("max", BE.Op("/", BE.V("in"), BE.N(2)), BE.N(1)),
                    's' => BE.N(1),
                    _ => BE.N(r.Next(2)),
                };
                list.Add(new BParam(name, role, fallback));
            }
            return list.ToArray();
        }

        private static void DrawBlock(Random r, List<BBlock> blocks, int i)
        {
            // A third of the blocks are named with one of the name test's class names.
            string name = "Blk" + (char)('A' + i);
            if (r.Next(3) == 0 && BlockNames[r.Next(BlockNames.Length)] is { } hostile && blocks.All(b => b.Name != hostile)) name = hostile;
            var ps = DrawParams(r);
            int merge = r.Next(4);
            var layers = new List<BLayer>();
            BE? mergeWhen = null;
            int? shortcut = null;
            int parallel = 0;
            if (merge == 3 && r.Next(4) > 0)
            {
                // Squeeze-and-excitation: one sigmoid weight per channel.
                layers.Add(new BSimple(null, null, "AdaptiveAvgPool2d"));
                layers.Add(new BConv(r.Next(3) == 0 ? "fc1" : null, null, BE.Op("max", BE.Op("/", BE.V("in"), BE.N(r.Next(1, 4))), BE.N(1)), BE.N(1), BE.N(1), true, r.Next(2), r.Next(2) == 0 ? ';' : ','));
                layers.Add(new BSimple(null, null, "ReLU"));
                // Back to the block's input channels: block_in ('in' after the squeeze is an error, drawn now and then).
                layers.Add(new BConv(null, null, BE.V(r.Next(6) == 0 ? "in" : "block_in"), BE.N(1), BE.N(1), true, r.Next(2), ';'));
                layers.Add(new BSimple(null, null, "Sigmoid"));
            }
            else if (r.Next(5) == 0)
            {
                // Parallel branches on the block's input, concatenated or summed.
                parallel = r.Next(3) == 0 ? 1 : 2;
                int n = r.Next(1, 4);
                for (int j = 0; j < n; j++)
                {
                    var layer = DrawLayer(r, blocks, ps);
                    layers.Add(layer is BConv conv && r.Next(2) == 0 ? conv with { Stride = BE.N(1) } : layer);
                }
            }
            else
            {
                int n = r.Next(1, 5);
                for (int j = 0; j < n; j++) layers.Add(DrawLayer(r, blocks, ps));
            }
            if (merge != 0 && r.Next(3) == 0)
            {
                var c = ps.FirstOrDefault(p => p.Role == 'c');
                var s = ps.FirstOrDefault(p => p.Role == 's');
                mergeWhen = r.Next(4) == 0 ? Condition(r, ps)
                    : BE.Op("&&", s is null ? BE.N(1) : BE.Op("==", BE.V(s.Name), BE.N(1)), c is null ? BE.N(1) : BE.Op("==", BE.V("in"), BE.V(c.Name)));
            }
            if (merge is 1 or 3 && r.Next(3) == 0)
            {
                // A projection shortcut: gets this block's parameters of the same names.
                var c = ps.FirstOrDefault(p => p.Role == 'c');
                var s = ps.FirstOrDefault(p => p.Role == 's');
                var sps = new[] { c, s }.OfType<BParam>().Select(p => p with { Default = null }).ToList();
                if (r.Next(3) == 0) sps.Add(new BParam("extra", 'f', BE.N(1)));
                var cond = BE.Op("||", s is null ? BE.N(0) : BE.Op("!=", BE.V(s.Name), BE.N(1)), c is null ? BE.N(0) : BE.Op("!=", BE.V("in"), BE.V(c.Name)));
                var projection = new List<BLayer>
                {
                    new BConv(null, r.Next(3) == 0 ? null : cond, c is null ? BE.V("in") : BE.V(c.Name), BE.N(1), s is null ? BE.N(1) : BE.V(s.Name), false, r.Next(2), ';'),
                    new BSimple(null, r.Next(2) == 0 ? null : cond, "BatchNorm2d"),
                };
                blocks.Add(new BBlock("Short" + (char)('A' + i), sps.ToArray(), 0, null, r.Next(3) == 0 ? "proj" : null, null, null, projection));
                shortcut = blocks.Count - 1;
            }
            string? body = r.Next(parallel == 0 ? 4 : 12) == 0 ? Named(r, BodyNames) : null;
            string? shortcutName = shortcut is not null && r.Next(2) == 0 ? Named(r, new[] { "downsample" }) : null;
            blocks.Add(new BBlock(name, ps, merge, mergeWhen, body, shortcut, shortcutName, layers, parallel));
        }

        private static BLayer DrawLayer(Random r, List<BBlock> blocks, BParam[] ps)
        {
            string? name = r.Next(8) == 0 ? Named(r, LayerNames) : null;
            BE? when = r.Next(5) == 0 ? Condition(r, ps) : null;
            var usable = blocks.Where(b => !b.Name.StartsWith("Short", StringComparison.Ordinal)).ToList();
            int pick = r.Next(10);
            if (pick < 4)
            {
                BE kernel = r.Next(3) == 0 ? new BCond(Condition(r, ps), BE.N(3), BE.N(1)) : BE.N(r.Next(2) == 0 ? 1 : 3);
                return new BConv(name, when, Channel(r, ps), kernel, Stride(r, ps), r.Next(2) == 0, r.Next(2), r.Next(2) == 0 ? ';' : ',');
            }
            if (pick < 6) return new BSimple(name, when, "BatchNorm2d");
            if (pick < 7 && ps.FirstOrDefault(p => p.Role == 'a') is { } layerParameter) return new BKindLayer(name, when, layerParameter.Name);
            if (pick < 8 || usable.Count == 0) return new BSimple(name, when, new[] { "ReLU", "ReLU6", "Sigmoid", "Tanh" }[r.Next(4)]);
            var target = usable[r.Next(usable.Count)];
            var args = DrawArgs(r, target, ps);
            if (r.Next(2) != 0) return new BUse(name, when, blocks.IndexOf(target), target.Name, args);
            // Repeated (0 to 3 times, automatically named), the first argument now and then reading the repetition's index.
            if (args.Length > 0 && args[0].Value is not BCond and not BKind && r.Next(2) == 0) args[0] = args[0] with { Value = BE.Op("+", args[0].Value, BE.V("i")), AsString = true };
            // Now and then the running index across the network: a width from block_id, a flag comparing it with block_count.
            for (int j = 0; j < args.Length; j++)
            {
                var role = args[j].Parameter is { } named ? target.Params.FirstOrDefault(p => p.Name == named)?.Role : j < target.Params.Length ? target.Params[j].Role : null;
                if (r.Next(2) != 0) continue;
                // A width from the position in the network: 1 to 3, or 1 to 4 growing with block_id / block_count (the schedule's shape).
                if (role == 'c') args[j] = args[j] with { Value = BE.Op("+", BE.N(1), r.Next(2) == 0 ? BE.Op("%", BE.V("block_id"), BE.N(3)) : BE.Op("/", BE.Op("*", BE.N(3), BE.V("block_id")), BE.V("block_count"))), AsString = true };
                else if (role == 'f') args[j] = args[j] with { Value = BE.Op("<", BE.Op("*", BE.V("block_id"), BE.N(2)), BE.V("block_count")), AsString = true };
            }
            // Repetitions named by a pattern ({i} is the index) or automatically.
            string? pattern = r.Next(2) == 0 ? new[] { "r{i}", "blk{i + 1}" }[r.Next(2)] : null;
            return new BUse(pattern, when, blocks.IndexOf(target), target.Name, args, r.Next(0, 4));
        }

        /// <summary>Arguments for a use of <paramref name="target"/>: by position while every earlier one is given, else by name; now and then wrong.</summary>
        private static BArg[] DrawArgs(Random r, BBlock target, BParam[]? scope)
        {
            BE Value(BParam p)
            {
                if (p.Role == 'a')
                {
                    // Another kind, or the enclosing block's own layer parameter passed on.
                    var own = scope?.Where(q => q.Role == 'a').ToArray() ?? Array.Empty<BParam>();
                    return own.Length > 0 && r.Next(3) == 0 ? new BKind(own[r.Next(own.Length)].Name) : new BKind(BKind.Kinds[r.Next(BKind.Kinds.Length)]);
                }
                if (scope is not null && r.Next(2) == 0)
                {
                    return p.Role switch
                    {
                        'c' => Channel(r, scope),
                        's' => Stride(r, scope),
                        _ => Condition(r, scope),
                    };
                }
                long v = p.Role switch { 'c' => r.Next(1, 9), 's' => r.Next(1, 3), _ => r.Next(2) };
                return r.Next(4) == 0 ? BE.Op("+", BE.N(v - 1), BE.N(1)) : BE.N(v);
            }
            var positional = new List<BArg>();
            var named = new List<BArg>();
            bool inOrder = true;
            foreach (var p in target.Params)
            {
                int how = r.Next(p.Default is null ? 2 : 3); // 0: by position, 1: by name, 2: left out
                if (how == 2 || (how == 1 && r.Next(30) == 0)) { inOrder = false; continue; } // rarely a required one is missing
                if (how == 0 && inOrder) positional.Add(new BArg(null, Value(p), r.Next(3) == 0));
                else { inOrder = false; named.Add(new BArg(p.Name, Value(p), true)); }
            }
            named = named.OrderBy(_ => r.Next()).ToList();
            var args = positional.Concat(named).ToList();
            if (r.Next(30) == 0) args.Add(new BArg(null, BE.N(1), false));          // too many
            if (r.Next(30) == 0) args.Add(new BArg("nope", BE.N(1), true));         // unknown name
            return args.ToArray();
        }
    }

    // ---- the independent build ------------------------------------------------------------------------------------------

    /// <summary>Why the independent model rejects a case.</summary>
    internal sealed class Invalid : Exception
    {
        public Invalid(string why) : base(why) { }
    }

    /// <summary>
    /// The case built with plain TorchSharp modules, one per parametrised layer, keyed by the path the README promises
    /// (a Sequential block's layers are 0, 1, ...; a class block's conv1, bn1, ... or their Name; Body and Shortcut names),
    /// with a forward written here. The first forward creates the modules; later ones reuse them.
    /// </summary>
    internal sealed class Reference : IDisposable
    {
        private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _modules = new(StringComparer.Ordinal);
        private readonly List<string> _order = new();

        /// <summary>The next repetition's block_id: repetitions are numbered across the network in the order they are built.</summary>
        private int _nextId;

        /// <summary>block_count: the repetitions of a whole build, counted by a first build that reads this placeholder (README).</summary>
        private long? _count;

        private const long CountPlaceholder = 1 << 20;

        public long Parameters => _modules.Values.Sum(m => m.parameters().Sum(p => p.numel()));

        public List<KeyValuePair<string, Tensor>> StateDict() =>
            _order.SelectMany(path => _modules[path].state_dict().Select(p => new KeyValuePair<string, Tensor>(path + "." + p.Key, p.Value))).ToList();

        public void Dispose()
        {
            foreach (var m in _modules.Values) m.Dispose();
        }

        /// <summary>The nested uses of <paramref name="b"/> whose arguments do not bind (Python's rules: position, then name), one message each.</summary>
        public static List<string> StaticProblems(BCase k, BBlock b)
        {
            var problems = new List<string>();
            foreach (var u in b.Layers.OfType<BUse>())
            {
                var target = k.Blocks[u.Block];
                var given = new HashSet<string>(StringComparer.Ordinal);
                string? why = null;
                for (int i = 0; i < u.Args.Length && why is null; i++)
                {
                    string? name = u.Args[i].Parameter ?? (i < target.Params.Length ? target.Params[i].Name : null);
                    why = name is null ? "too many arguments"
                        : target.Params.All(p => p.Name != name) ? "no parameter " + name
                        : !given.Add(name) ? name + " given twice"
                        : null;
                }
                why ??= target.Params.Where(p => p.Default is null && !given.Contains(p.Name)).Select(p => "missing " + p.Name).FirstOrDefault();
                if (why is not null) problems.Add(why);
            }
            return problems;
        }

        /// <summary>Null when the independent build runs the case (batch 2), else why not.</summary>
        public static string? Validity(BCase k)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            using var reference = new Reference();
            try
            {
                reference.Forward(k, torch.randn(2, k.Channels, k.Height, k.Width));
                return null;
            }
            catch (Invalid e)
            {
                return e.Message;
            }
        }

        public Tensor Forward(BCase k, Tensor x)
        {
            if (_count is null && k.Render().Contains("block_count", StringComparison.Ordinal))
            {
                using var counting = new Reference { _count = CountPlaceholder };
                try
                {
                    counting.Forward(k, x);
                }
                catch (Invalid)
                {
                    // The count is what was built up to the problem (the real build reports it).
                }
                _count = counting._nextId;
            }
            _nextId = 0;
            var env = new Dictionary<string, long>(StringComparer.Ordinal);
            // The network's [Flatten] [Linear] are named with its other layers (an explicit "fc1" makes the Linear fc2).
            var names = Names(k.Top.Concat(new BLayer[] { new BSimple(null, null, "Flatten"), new BSimple(null, null, "Linear") }).ToList(), sequential: false, "Net");
            for (int i = 0; i < k.Top.Count; i++) x = Layer(k, k.Top[i], names[i], env, x);
            x = x.flatten(1);
            var fc = Get(names[^1], () => nn.Linear(x.shape[1], k.Classes));
            return fc.call(x);
        }

        private nn.Module<Tensor, Tensor> Get(string path, Func<nn.Module<Tensor, Tensor>> create)
        {
            if (_modules.TryGetValue(path, out var m)) return m;
            m = create();
            m.eval();
            _modules[path] = m;
            _order.Add(path);
            return m;
        }

        private static long Eval(BE e, IReadOnlyDictionary<string, long> env, string what) =>
            e.Eval(env) ?? throw new Invalid($"{what}: '{e.Text}' cannot be evaluated");

        private static bool Holds(BE? when, IReadOnlyDictionary<string, long> env) => when is null || Eval(when, env, "When") != 0;

        /// <summary>The README's names: a Sequential's children 0, 1, ...; elsewhere conv1, bn1, ..., explicit names first and skipped.</summary>
        private static string[] Names(List<BLayer> layers, bool sequential, string className)
        {
            var names = new string[layers.Count];
            if (sequential)
            {
                for (int i = 0; i < layers.Count; i++) names[i] = layers[i].Name ?? i.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                var taken = new HashSet<string>(layers.Where(l => l.Name is not null).Select(l => l.Name!), StringComparer.Ordinal) { className };
                var counters = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i < layers.Count; i++)
                {
                    if (layers[i].Name is { } explicitName) { names[i] = explicitName; continue; }
                    string prefix = layers[i].Prefix;
                    string candidate;
                    do
                    {
                        counters[prefix] = counters.TryGetValue(prefix, out int n) ? n + 1 : 1;
                        candidate = prefix + (char.IsDigit(prefix[^1]) ? "_" : "") + counters[prefix];
                    }
                    while (taken.Contains(candidate));
                    names[i] = candidate;
                }
            }
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw new Invalid("two layers have one name");
            return names;
        }

        private Tensor Layer(BCase k, BLayer layer, string path, IReadOnlyDictionary<string, long> env, Tensor x)
        {
            switch (layer)
            {
                case BConv c:
                {
                    long cout = Eval(c.Out, env, "out"), kernel = Eval(c.Kernel, env, "kernel"), stride = Eval(c.Stride, env, "stride"), padding = kernel / 2;
                    if (cout < 1 || kernel < 1 || stride < 1) throw new Invalid($"conv {cout} {kernel} {stride}");
                    Image(x);
                    long h = x.shape[2] + 2 * padding, w = x.shape[3] + 2 * padding;
                    if (h < kernel || w < kernel) throw new Invalid("kernel larger than the input");
                    long cin = x.shape[1];
                    var m = Get(path, () => nn.Conv2d(cin, cout, kernel, stride: stride, padding: padding, bias: c.Bias));
                    return m.call(x);
                }
                case BSimple { Kind: "BatchNorm2d" }:
                {
                    Image(x);
                    long channels = x.shape[1];
                    return Get(path, () => nn.BatchNorm2d(channels)).call(x);
                }
                case BSimple { Kind: "AdaptiveAvgPool2d" }:
                    Image(x);
                    return nn.functional.adaptive_avg_pool2d(x, 1);
                case BSimple s:
                    return s.Kind switch
                    {
                        "ReLU" => nn.functional.relu(x),
                        "ReLU6" => nn.functional.relu6(x),
                        "Sigmoid" => torch.sigmoid(x),
                        "Tanh" => torch.tanh(x),
                        "Hardswish" => nn.functional.hardswish(x),
                        "SiLU" => nn.functional.silu(x),
                        _ => throw new InvalidOperationException(s.Kind),
                    };
                case BUse u:
                    return Use(k, k.Blocks[u.Block], Arguments(u, env, new Dictionary<string, string>(StringComparer.Ordinal)), path, x, 1);
                default:
                    throw new InvalidOperationException(layer.ToString());
            }
        }

        private static void Image(Tensor x)
        {
            if (x.dim() != 4) throw new Invalid("needs an image");
        }

        /// <summary>A use's arguments: a number, or a layer kind (written, or a layer parameter of the enclosing block passed on).</summary>
        private static List<(string? Parameter, long Value, string? Kind)> Arguments(BUse u, IReadOnlyDictionary<string, long> env, IReadOnlyDictionary<string, string> kinds) =>
            u.Args.Select(a => a.Value is BKind kind
                ? (a.Parameter, 0L, (string?)(kinds.TryGetValue(kind.Name, out var passed) ? passed : kind.Name))
                : (a.Parameter, Eval(a.Value, env, "argument"), (string?)null)).ToList();

        private Tensor Use(BCase k, BBlock b, List<(string? Parameter, long Value, string? Kind)> args, string path, Tensor x, int depth)
        {
            if (depth > 16) throw new Invalid("nested too deep");
            // Bind: by position or by name; defaults in order, reading 'in' and the parameters before them.
            var given = new Dictionary<string, (long Value, string? Kind)>(StringComparer.Ordinal);
            for (int i = 0; i < args.Count; i++)
            {
                string name = args[i].Parameter ?? (i < b.Params.Length ? b.Params[i].Name : throw new Invalid("too many arguments"));
                if (b.Params.All(p => p.Name != name)) throw new Invalid("no parameter " + name);
                if (!given.TryAdd(name, (args[i].Value, args[i].Kind))) throw new Invalid(name + " given twice");
            }
            // A layer parameter takes a kind, any other a number.
            foreach (var (name, value) in given)
                if ((b.Params.First(p => p.Name == name).Role == 'a') != (value.Kind is not null)) throw new Invalid($"{name}: a kind for a number or a number for a kind");
            // 'in' and 'block_in' are the channels entering the block; 'layer_in' is known to a layer's arguments only.
            var env = new Dictionary<string, long>(StringComparer.Ordinal) { ["in"] = x.shape[1], ["block_in"] = x.shape[1], ["last"] = x.shape[^1] };
            var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in b.Params)
            {
                if (p.Role == 'a')
                {
                    kinds[p.Name] = given.TryGetValue(p.Name, out var passed) ? passed.Kind! : ((BKind)p.Default!).Name;
                    continue;
                }
                env[p.Name] = given.TryGetValue(p.Name, out var v) ? v.Value
                    : p.Default is not null ? Eval(p.Default, new Dictionary<string, long>(env) { ["layer_in"] = x.shape[1] }, "default")
                    : throw new Invalid("missing " + p.Name);
            }

            if (b.Parallel != 0 && b.Body is not null) throw new Invalid("Parallel with a Body");
            // A nested use that cannot bind is the block's own problem: every use of the block stops, whatever its When.
            if (StaticProblems(k, b).FirstOrDefault() is { } own) throw new Invalid(own);
            // A repeated use is one layer per repetition, each knowing its index.
            var present = new List<BLayer>();
            var repetition = new List<int>();
            foreach (var l in b.Layers.Where(l => Holds(l.When, env)))
            {
                int times = l is BUse { Repeat: >= 0 } repeated ? repeated.Repeat : -1;
                for (int t = 0; t < Math.Max(times, 1) && times != 0; t++)
                {
                    // A layer parameter's layer is the kind it holds; a repetition's Name pattern is evaluated with its index.
                    present.Add(l is BKindLayer kindLayer ? new BSimple(kindLayer.Name, kindLayer.When, kinds[kindLayer.Parameter])
                        : l is BUse { Name: { } pattern } && times >= 0 ? l with { Name = pattern.Replace("{i + 1}", (t + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                            .Replace("{i}", t.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) }
                        : l);
                    repetition.Add(times < 0 ? -1 : t);
                }
            }
            var input = x;
            var names = Names(present, b.IsSequential || b.Body is not null, b.Name); // a Body is a Sequential: 0, 1, ...
            string prefix = b.Body is null ? path : path + "." + b.Body;
            var branches = new List<Tensor>();
            for (int i = 0; i < present.Count; i++)
            {
                // Parallel: every layer is a branch applied to the block's input.
                var from = b.Parallel != 0 ? input : x;
                // After a layer that changed the channels, 'in' may not be read (write block_in or layer_in).
                var here = new Dictionary<string, long>(env, StringComparer.Ordinal) { ["layer_in"] = from.shape[1] };
                if (from.shape[1] != env["block_in"]) here.Remove("in");
                x = present[i] is BUse nested ? Nested(k, nested, WithIndex(here, repetition[i]), kinds, prefix + "." + names[i], from, depth) : Layer(k, present[i], prefix + "." + names[i], here, from);
                branches.Add(x);
            }
            if (b.Parallel != 0)
            {
                if (branches.Count == 0) throw new Invalid("no branch");
                var first = branches[0].shape;
                foreach (var branch in branches.Skip(1))
                {
                    var shape = branch.shape;
                    bool fits = b.Parallel == 1 ? shape.SequenceEqual(first) : shape.Length == first.Length && shape.Skip(2).SequenceEqual(first.Skip(2));
                    if (!fits) throw new Invalid("branches of different shapes");
                }
                if (b.Parallel == 2) x = branches.Count == 1 ? branches[0] : torch.cat(branches.ToArray(), 1);
                else
                {
                    x = branches[0];
                    for (int i = 1; i < branches.Count; i++) x = x + branches[i];
                }
            }
            if (b.Merge == 0 || (b.MergeWhen is not null && Eval(b.MergeWhen, env, "MergeWhen") == 0)) return x;

            var other = input;
            if (b.Shortcut is { } s)
            {
                var shortcut = k.Blocks[s];
                var passed = shortcut.Params.Where(p => env.ContainsKey(p.Name)).Select(p => ((string?)p.Name, env[p.Name], (string?)null)).ToList();
                other = Use(k, shortcut, passed, path + "." + (b.ShortcutName ?? "shortcut"), input, depth + 1);
            }
            var a = other.shape;
            var f = x.shape;
            switch (b.Merge)
            {
                case 1:
                    if (!a.SequenceEqual(f)) throw new Invalid("Add of different shapes");
                    return other + x;
                case 2:
                    if (a.Length != f.Length || !a.Skip(2).SequenceEqual(f.Skip(2))) throw new Invalid("Concat of different sizes");
                    return torch.cat(new[] { other, x }, 1);
                default:
                    bool perChannel = f.Length == a.Length && f[1] == a[1] && f.Skip(2).All(d => d == 1);
                    if (!a.SequenceEqual(f) && !perChannel) throw new Invalid("Multiply by a gate of another shape");
                    return other * x;
            }
        }

        /// <summary>The names a repetition's arguments read: the block's, <c>i</c>, and the running block_id and block_count.</summary>
        private IReadOnlyDictionary<string, long> WithIndex(IReadOnlyDictionary<string, long> env, int index) =>
            index < 0 ? env : new Dictionary<string, long>(env.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal)
            {
                ["i"] = index,
                ["block_id"] = _nextId++,
                ["block_count"] = _count ?? CountPlaceholder,
            };

        private Tensor Nested(BCase k, BUse u, IReadOnlyDictionary<string, long> env, IReadOnlyDictionary<string, string> kinds, string path, Tensor x, int depth) =>
            Use(k, k.Blocks[u.Block], Arguments(u, env, kinds), path, x, depth + 1);
    }
}
