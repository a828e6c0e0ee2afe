using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using CsCheck;
using Dsl.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// Property test over random declarations, valid and invalid, some layers named with the name property test's
    /// hostile names. For every declaration:
    /// (a) the generator and the analyzer never throw;
    /// (b) without error diagnostics it compiles, constructs, and its TorchSharp forward gives, layer
    ///     by layer, the shapes of its compile-time Info table, with the names chosen; its ONNX model loads in ONNX
    ///     Runtime and computes the same output, and its PyTorch twin imports with the same state_dict keys;
    /// (c) with a shape error, the same layers built directly in TorchSharp (from the test's own
    ///     model, not the emitter) run fine up to the flagged layer and fail at it: no false alarms.
    /// DSL_FUZZ_CASES (default 800) and DSL_FUZZ_SEED (default 20261128) configure the run.
    /// </summary>
    public class ShapeFuzzTests
    {
        private const int BatchSize = 20;
        private readonly ITestOutputHelper _output;

        public ShapeFuzzTests(ITestOutputHelper output) => _output = output;

        /// <summary>Diagnostics that say libtorch itself would fail (or add mismatched branches).</summary>
        private static readonly HashSet<string> RuntimeShapeErrors = new(StringComparer.Ordinal)
        {
            Descriptors.OutputBelowOneId, Descriptors.KernelLargerThanInputId, Descriptors.LinearInFeaturesMismatchId,
            Descriptors.NeedsImageInputId, Descriptors.GroupsDoNotDivideId, Descriptors.ResidualShapeMismatchId,
        };

        [SkippableFact]
        public void RandomDeclarations_AgreeWithLibTorch()
        {
            int cases = int.TryParse(Environment.GetEnvironmentVariable("DSL_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 800;
            ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("DSL_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20261128UL;
            var stats = new Stats();
            var clock = PropertyClock.Start();
            using var exports = new ExportChecks("shape-fuzz");
            var gen = FuzzGen.Declaration.Array[BatchSize];
            int batches = (cases + BatchSize - 1) / BatchSize;
            for (int b = 0; b < batches; b++)
            {
                var batch = gen.Generate(new PCG((uint)b, seed), null, out _);
                try
                {
                    CheckBatch(batch, stats, exports);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"Seed {seed}, batch {b}: {e.Message}");
                }
            }
            Assert.True(stats.Valid > batches * BatchSize / 10, "Too few valid declarations: " + stats);
            Assert.True(stats.RuntimeErrors > batches * BatchSize / 10, "Too few declarations with shape errors: " + stats);
            Assert.True(stats.TokensValid > batches * BatchSize / 40, "Too few valid declarations on token ids: " + stats);
            string? python = exports.CheckTwins();
            _output.WriteLine($"{batches * BatchSize} declarations (seed {seed}): {stats}; twins {(python is null ? "imported: " + exports.Twins : "not checked: " + python)}; {clock}");
            Skip.If(python is not null, python);
        }

        private sealed class Stats
        {
            public int Valid, RuntimeErrors, PolicyOnly, TokensValid;
            public readonly SortedDictionary<string, int> Ids = new(StringComparer.Ordinal);
            public override string ToString() =>
                $"{Valid} valid (run and compared; {TokensValid} on token ids), {RuntimeErrors} with a shape error confirmed by libtorch, {PolicyOnly} with other diagnostics; ids: "
                + string.Join(", ", Ids.Select(p => p.Key + "=" + p.Value));
        }

        private static void CheckBatch(Decl[] batch, Stats stats, ExportChecks exports)
        {
            var trees = new List<SyntaxTree>();
            var layerStarts = new List<int[]>();
            for (int i = 0; i < batch.Length; i++)
            {
                var (source, starts) = batch[i].Render("Net" + i.ToString(CultureInfo.InvariantCulture));
                trees.Add(CSharpSyntaxTree.ParseText(source, DiagnosticHarness.ParseOptions, path: $"/src/Net{i}.cs", encoding: Encoding.UTF8));
                layerStarts.Add(starts);
            }
            var compilation = CSharpCompilation.Create("Fuzz" + Guid.NewGuid().ToString("N"), trees, DiagnosticHarness.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, optimizationLevel: OptimizationLevel.Debug)
                    // As the SDK does: assembly-version unification notes are not warnings.
                    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

            // (a) generator: no exception, no CS8785.
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new NetworkGenerator());
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var run = driver.GetRunResult();
            Assert.All(run.Results, r => Assert.Null(r.Exception));
            Assert.Empty(generatorDiagnostics);

            // (a) analyzer over the sources and the generated code: no AD0001.
            var all = output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()))
                .GetAllDiagnosticsAsync().GetAwaiter().GetResult();
            Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785");
            var generated = run.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t, StringComparer.Ordinal);

            // Everything but the analyzer's own diagnostics must be clean: the generated code compiles without warnings.
            var other = all.Where(d => !d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning).ToArray();
            Assert.True(other.Length == 0, "Compiler diagnostics:\n" + string.Join("\n", other.Select(d => d.ToString())));

            Assembly? assembly = null;
            AssemblyLoadContext? context = null;
            try
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    var decl = batch[i];
                    string name = "Net" + i.ToString(CultureInfo.InvariantCulture);
                    var mine = all.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) && d.Location.SourceTree == trees[i]).ToArray();
                    foreach (var d in mine) stats.Ids[d.Id] = stats.Ids.TryGetValue(d.Id, out int n) ? n + 1 : 1;
                    string listing = decl.Render(name).Source + "\n" + string.Join("\n", mine.Select(d => d.ToString()));
                    // A full module has its facts file; a declaration with problems gets a stub module only.
                    bool hasGenerated = generated.ContainsKey($"Nets.{name}.Info.g.cs");

                    if (mine.Length == 0)
                    {
                        // (b) compiles (checked above), constructs, and matches its Info table layer by layer.
                        Assert.True(hasGenerated, "No module generated for a declaration without diagnostics:\n" + listing);
                        if (assembly is null)
                        {
                            using var pe = new MemoryStream();
                            var emitted = output.Emit(pe);
                            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
                            pe.Position = 0;
                            context = new AssemblyLoadContext("fuzz", isCollectible: true);
                            assembly = context.LoadFromStream(pe);
                        }
                        CompareWithInfo(assembly.GetType("Nets." + name, throwOnError: true)!, decl, listing, exports);
                        stats.Valid++;
                        if (decl.Rank == 0) stats.TokensValid++;
                        continue;
                    }

                    Assert.False(hasGenerated, "A module was generated for a declaration with diagnostics:\n" + listing);
                    Assert.True(generated.TryGetValue($"Nets.{name}.g.cs", out var stub) && stub.ToString().Contains(mine[0].Id, StringComparison.Ordinal),
                        "The stub module does not quote the diagnostics:\n" + listing);
                    var shapeErrors = mine.Where(d => RuntimeShapeErrors.Contains(d.Id)).ToArray();
                    bool invalidValues = mine.Any(d => d.Id == Descriptors.InvalidValueId);
                    if (shapeErrors.Length == 0 || invalidValues) { stats.PolicyOnly++; continue; }

                    // (c) the flagged layer really fails in libtorch, and the layers before it run.
                    Assert.True(shapeErrors.Length == 1, "The core stops at the first shape error:\n" + listing);
                    int layer = Array.FindLastIndex(layerStarts[i], start => start <= shapeErrors[0].Location.SourceSpan.Start);
                    Assert.True(layer >= 0, "Shape error outside the layers:\n" + listing);
                    ConfirmFailure(decl, layer, shapeErrors[0].Id, listing);
                    stats.RuntimeErrors++;
                }
            }
            finally
            {
                context?.Unload();
            }
        }

        /// <summary>(b): runs the generated module's top-level children in order and compares every output with Info.</summary>
        private static void CompareWithInfo(Type type, Decl decl, string listing, ExportChecks exports)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var info = (NetworkInfo)type.GetProperty("Info", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            ExportChecks.SeedFor(listing);
            using var module = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            module.eval();
            var children = module.named_children().ToArray();
            Assert.True(children.Length == info.TopLevel.Count, "Children and Info differ:\n" + listing);
            var x = decl.Input(1);
            var input = x;
            for (int i = 0; i < children.Length; i++)
            {
                var (childName, child) = children[i];
                Assert.Equal(info.TopLevel[i].Name, childName);
                // A name the user chose and no diagnostic refused is the layer's name, as written.
                if (decl.Layers[i].Name is { } chosen) Assert.True(chosen == childName, $"Layer {i} is named '{chosen}', but its module is '{childName}'\n{listing}");
                try
                {
                    // call, as the generated forward does: an Embedding's hook gives a padding mask its ids.
                    if (child is nn.Module<Tensor, Tensor> m) x = m.call(x);
                    else foreach (var (_, block) in child.named_children()) x = ((nn.Module<Tensor, Tensor>)block).call(x);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"Layer {childName} failed at run time although no diagnostic was reported: {FirstLine(e.Message)}\n{listing}");
                }
                var actual = x.shape.Skip(1).ToArray();
                Assert.True(actual.SequenceEqual(info.TopLevel[i].OutputShape.ToArray()),
                    $"Layer {childName}: Info says {info.TopLevel[i].OutputShape}, libtorch gives [{string.Join(", ", actual)}]\n{listing}");
            }
            // The whole forward agrees with the last shape, and so do its ONNX model and its PyTorch twin.
            var y = module.forward(input);
            Assert.Equal(info.OutputShape.WithBatch(1), y.shape);
            ExportChecks.Onnx(module, input, y, listing);
            exports.AddTwin(info, module.state_dict().Keys, listing);

            // The independent construction (the test's own TorchSharp model) gives every layer's Info shape and the parameter count.
            var (shapes, parameters) = TorchModel.Shapes(decl);
            for (int i = 0; i < shapes.Count; i++)
            {
                Assert.True(shapes[i].Skip(1).SequenceEqual(info.TopLevel[i].OutputShape.ToArray()),
                    $"Layer {info.TopLevel[i].Name}: Info says {info.TopLevel[i].OutputShape}, the independent model gives [{string.Join(", ", shapes[i].Skip(1))}]\n{listing}");
            }
            Assert.True(parameters == info.TotalParameters, $"Independent model has {parameters} parameters, Info {info.TotalParameters}\n{listing}");
            Assert.Equal(parameters, module.parameters().Sum(p => p.numel()));

            // ZeroInitLastBatchNorm: the last BatchNorm of every block starts with a zero scale.
            foreach (var (layer, index) in decl.Layers.Select((l, i) => (l, i)).Where(p => p.l is FFamily { ZeroInit: true }))
            {
                string prefix = info.TopLevel[index].Name + ".";
                var last = ((FFamily)layer).LastBatchNorm;
                var scales = module.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal) && p.name.EndsWith("." + last + ".weight", StringComparison.Ordinal)).ToArray();
                Assert.True(scales.Length > 0, $"No {last}.weight under {prefix}\n{listing}");
                Assert.All(scales, p => Assert.Equal(0.0, p.parameter.abs().sum().item<float>()));
            }
        }

        private static string FirstLine(string text) => text.Split('\n')[0];

        /// <summary>(c): layers before <paramref name="layer"/> run; layer <paramref name="layer"/> throws or yields an empty dimension.</summary>
        private static void ConfirmFailure(Decl decl, int layer, string id, string listing)
        {
            long[] before;
            try
            {
                before = TorchModel.Run(decl, layer);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"libtorch fails before layer {layer}, where the diagnostic is: {FirstLine(e.Message)}\n{listing}");
            }
            Assert.DoesNotContain(0L, before);
            long[] shape;
            try
            {
                shape = TorchModel.Run(decl, layer + 1);
            }
            catch (Exception)
            {
                return; // libtorch agrees: the layer cannot run.
            }
            if (id == Descriptors.NeedsImageInputId)
            {
                // Some 2-D layers accept a [N, features] tensor as one unbatched image: the run
                // then mixes the samples of a batch. With a batch of 2 the batch dimension is lost.
                long[] two;
                try { two = TorchModel.Run(decl, layer + 1, batch: 2); }
                catch (Exception) { return; }
                // A 1-d pooling on flat [N, F] reads it as one unbatched sequence with N channels: each sample is pooled
                // over its features on its own. Nothing is mixed, but it is not the layer's meaning: the DSL's rank rule.
                if (decl.Layers[layer] is FPool1d or FAdaptive1d && before.Length == 2 && two[0] == 2 && !two.Contains(0L)) return;
                Assert.True(two[0] != 2 || two.Contains(0L), $"False alarm: libtorch runs layer {layer} per sample to [{string.Join(", ", two)}]\n{listing}");
                return;
            }
            Assert.True(shape.Contains(0L), $"False alarm: libtorch runs layer {layer} to [{string.Join(", ", shape)}]\n{listing}");
        }
    }

    /// <summary>One random declaration: input and layers (the test's own model, independent of the generator).</summary>
    /// <remarks><see cref="Rank"/> 3: an image (channels, height, width); 2: a sequence (channels, width as the length); 1: features (channels);
    /// 0: token ids (channels the vocabulary, width the length).</remarks>
    internal sealed record Decl(int Channels, int Height, int Width, FLayer[] Layers, int Rank = 3)
    {
        /// <summary>The input's shape with a batch dimension.</summary>
        public long[] Shape(long batch) => Rank switch
        {
            0 => new[] { batch, Width },
            1 => new[] { batch, Channels },
            2 => new[] { batch, Channels, Width },
            _ => new[] { batch, Channels, Height, Width },
        };

        public (string Source, int[] LayerStarts) Render(string name)
        {
            var text = new StringBuilder("using Dsl;\nnamespace Nets;\n");
            if (Rank == 0) text.Append(CultureInfo.InvariantCulture, $"[Input({Width}, Vocabulary = {Channels})]\n");
            else text.Append(CultureInfo.InvariantCulture, $"[Input({string.Join(", ", Shape(1).Skip(1))})]\n");
            var starts = new int[Layers.Length];
            for (int i = 0; i < Layers.Length; i++)
            {
                starts[i] = text.Length;
                text.Append('[').Append(Layers[i].Attribute()).Append("]\n");
            }
            text.Append("public partial class ").Append(name).Append(";\n");
            return (text.ToString(), starts);
        }

        /// <summary>A random input batch: token ids in [0, vocabulary) for token input, normal reals otherwise.</summary>
        public Tensor Input(long batch) => Rank == 0 ? torch.randint(0, Math.Max(1, Channels), Shape(batch), dtype: ScalarType.Int64) : torch.randn(Shape(batch));
    }

    /// <summary>A layer of the test's model: its attribute text and its plain TorchSharp equivalent.</summary>
    internal abstract record FLayer(string? Name)
    {
        public abstract string Kind { get; }
        protected abstract IEnumerable<string> Arguments();
        public abstract Tensor Forward(Tensor x);

        public string Attribute()
        {
            var args = Arguments().ToList();
            if (Name is not null) args.Add("Name = " + SymbolDisplay.FormatLiteral(Name, quote: true));
            return args.Count == 0 ? Kind : Kind + "(" + string.Join(", ", args) + ")";
        }

        protected static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        protected static IEnumerable<string> Opt(string name, long value, long fallback) => value == fallback ? Array.Empty<string>() : new[] { name + " = " + N(value) };
        protected static IEnumerable<string> Opt(string name, bool value, bool fallback) => value == fallback ? Array.Empty<string>() : new[] { name + " = " + (value ? "true" : "false") };
        protected static Tensor Run(nn.Module<Tensor, Tensor> m, Tensor x) { using (m) { Count(m); m.eval(); return m.forward(x); } }

        /// <summary>Parameters of every module the independent model builds (batch 1 runs only).</summary>
        [ThreadStatic] public static long Built;

        protected static void Count(nn.Module m) => Built += m.parameters().Sum(p => p.numel());
    }

    internal sealed record FConv(string? Name, int Out, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias) : FLayer(Name)
    {
        public override string Kind => "Conv2d";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Out), N(Kernel) }.Concat(Opt("Stride", Stride, 1)).Concat(Opt("Padding", Padding, 0)).Concat(Opt("Dilation", Dilation, 1)).Concat(Opt("Groups", Groups, 1)).Concat(Opt("Bias", Bias, true));
        public override Tensor Forward(Tensor x) => Run(nn.Conv2d(x.shape[1], Out, Kernel, stride: Stride, padding: (long)Padding, dilation: Dilation, groups: Groups, bias: Bias), x);
    }

    /// <summary>A Conv2d with a size per dimension: <c>[Conv2d(out, "kh, kw", Strides = "sh, sw", Paddings = "ph, pw", Dilations = "dh, dw")]</c>.</summary>
    internal sealed record FConvAxes(string? Name, int Out, (int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding, (int H, int W) Dilation, int Groups, bool Bias) : FLayer(Name)
    {
        public override string Kind => "Conv2d";
        private static string Pair((int H, int W) p) => "\"" + N(p.H) + ", " + N(p.W) + "\"";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Out), Pair(Kernel) }
                .Concat(Stride == (1, 1) ? Array.Empty<string>() : new[] { "Strides = " + Pair(Stride) })
                .Concat(Padding == (0, 0) ? Array.Empty<string>() : new[] { "Paddings = " + Pair(Padding) })
                .Concat(Dilation == (1, 1) ? Array.Empty<string>() : new[] { "Dilations = " + Pair(Dilation) })
                .Concat(Opt("Groups", Groups, 1)).Concat(Opt("Bias", Bias, true));
        public override Tensor Forward(Tensor x) => Run(nn.Conv2d(x.shape[1], Out, (Kernel.H, Kernel.W), stride: (Stride.H, Stride.W), padding: (Padding.H, Padding.W),
            dilation: (Dilation.H, Dilation.W), groups: Groups, bias: Bias), x);
    }

    internal sealed record FConvTranspose(string? Name, int Out, int Kernel, int Stride, int Padding, int OutputPadding, int Dilation, int Groups, bool Bias) : FLayer(Name)
    {
        public override string Kind => "ConvTranspose2d";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Out), N(Kernel) }.Concat(Opt("Stride", Stride, 1)).Concat(Opt("Padding", Padding, 0)).Concat(Opt("OutputPadding", OutputPadding, 0))
                .Concat(Opt("Dilation", Dilation, 1)).Concat(Opt("Groups", Groups, 1)).Concat(Opt("Bias", Bias, true));
        public override Tensor Forward(Tensor x)
        {
            // PyTorch's constructor rejects channels that Groups does not divide; TorchSharp's builds a layer with
            // out_channels / groups * groups outputs instead, so the check is PyTorch's, written here.
            if (x.shape[1] % Groups != 0 || Out % Groups != 0) throw new ArgumentException("in_channels and out_channels must be divisible by groups");
            return Run(nn.ConvTranspose2d(x.shape[1], Out, Kernel, stride: Stride, padding: Padding, output_padding: OutputPadding, dilation: Dilation, groups: Groups, bias: Bias), x);
        }
    }

    /// <summary>Upsample, built independently with the functional interpolate (nearest or bilinear).</summary>
    internal sealed record FUpsample(string? Name, double Scale, bool Bilinear, bool AlignCorners) : FLayer(Name)
    {
        public override string Kind => "Upsample";
        protected override IEnumerable<string> Arguments() =>
            (Scale == 2.0 ? Array.Empty<string>() : new[] { Scale.ToString("R", CultureInfo.InvariantCulture) })
                .Concat(Bilinear ? new[] { "Mode = UpsampleMode.Bilinear" } : Array.Empty<string>()).Concat(Opt("AlignCorners", AlignCorners, false));
        public override Tensor Forward(Tensor x) =>
            nn.functional.interpolate(x, scale_factor: new[] { Scale, Scale }, mode: Bilinear ? InterpolationMode.Bilinear : InterpolationMode.Nearest,
                align_corners: Bilinear ? AlignCorners : null);
    }

    internal sealed record FBatchNorm(string? Name) : FLayer(Name)
    {
        public override string Kind => "BatchNorm2d";
        protected override IEnumerable<string> Arguments() => Array.Empty<string>();
        public override Tensor Forward(Tensor x) => Run(nn.BatchNorm2d(x.shape[1]), x);
    }

    internal sealed record FActivation(string? Name, string Function) : FLayer(Name)
    {
        public override string Kind => Function;
        protected override IEnumerable<string> Arguments() => Array.Empty<string>();
        public override Tensor Forward(Tensor x) => Function switch
        {
            "ReLU" => x.relu(),
            "Sigmoid" => x.sigmoid(),
            "Tanh" => x.tanh(),
            "ReLU6" => Run(nn.ReLU6(), x),
            "SiLU" => Run(nn.SiLU(), x),
            "GELU" => Run(nn.GELU(), x),
            "Hardswish" => Run(nn.Hardswish(), x),
            "Hardsigmoid" => Run(nn.Hardsigmoid(), x),
            "LeakyReLU" => Run(nn.LeakyReLU(0.01), x),
            "ELU" => Run(nn.ELU(), x),
            "Identity" => x,
            // A kind drawn above needs its own build here: no silent identity for it.
            _ => throw new InvalidOperationException("the fuzz has no plain TorchSharp build for " + Function),
        };
    }

    internal sealed record FPool(string? Name, bool Max, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode) : FLayer(Name)
    {
        public override string Kind => Max ? "MaxPool2d" : "AvgPool2d";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Kernel) }.Concat(Opt("Stride", Stride, 0)).Concat(Opt("Padding", Padding, 0)).Concat(Max ? Opt("Dilation", Dilation, 1) : Array.Empty<string>()).Concat(Opt("CeilMode", CeilMode, false));
        public override Tensor Forward(Tensor x) => Max
            ? Run(nn.MaxPool2d(Kernel, stride: Stride == 0 ? Kernel : Stride, padding: Padding, dilation: Dilation, ceil_mode: CeilMode), x)
            : Run(nn.AvgPool2d(Kernel, stride: Stride == 0 ? Kernel : Stride, padding: Padding, ceil_mode: CeilMode), x);
    }

    internal sealed record FAdaptive(string? Name, int Size) : FLayer(Name)
    {
        public override string Kind => "AdaptiveAvgPool2d";
        protected override IEnumerable<string> Arguments() => Size == 1 ? Array.Empty<string>() : new[] { N(Size) };
        public override Tensor Forward(Tensor x) => Run(nn.AdaptiveAvgPool2d(Size), x);
    }

    internal sealed record FFlatten(string? Name) : FLayer(Name)
    {
        public override string Kind => "Flatten";
        protected override IEnumerable<string> Arguments() => Array.Empty<string>();
        public override Tensor Forward(Tensor x) => x.flatten(1);
    }

    internal sealed record FLinear(string? Name, int Out, int InFeatures) : FLayer(Name)
    {
        public override string Kind => "Linear";
        protected override IEnumerable<string> Arguments() => new[] { N(Out) }.Concat(Opt("InFeatures", InFeatures, 0));
        public override Tensor Forward(Tensor x) => Run(nn.Linear(InFeatures != 0 ? InFeatures : x.shape[^1], Out), x);
    }

    internal sealed record FDropout(string? Name, double P) : FLayer(Name)
    {
        public override string Kind => "Dropout";
        protected override IEnumerable<string> Arguments() => P == 0.5 ? Array.Empty<string>() : new[] { P.ToString("R", CultureInfo.InvariantCulture) };
        public override Tensor Forward(Tensor x) => Run(nn.Dropout(P), x);
    }

    /// <summary>torchvision's Permute, the dims counted with the batch; the independent model is torch.permute.</summary>
    internal sealed record FPermute(string? Name, int[] Dims) : FLayer(Name)
    {
        public override string Kind => "Permute";
        protected override IEnumerable<string> Arguments() => Dims.Select(d => N(d));
        public override Tensor Forward(Tensor x) => x.permute(Dims.Select(d => (long)d).ToArray());
    }

    /// <summary>torchvision's LayerNorm2d: the independent model is nn.LayerNorm over the channels, channels-last.</summary>
    internal sealed record FLayerNorm2d(string? Name) : FLayer(Name)
    {
        public override string Kind => "LayerNorm2d";
        protected override IEnumerable<string> Arguments() => Array.Empty<string>();
        public override Tensor Forward(Tensor x)
        {
            var channelsLast = x.permute(0, 2, 3, 1);
            return Run(nn.LayerNorm(x.shape[1]), channelsLast).permute(0, 3, 1, 2);
        }
    }

    /// <summary>Stochastic depth: the identity in evaluation (what the test runs).</summary>
    internal sealed record FStochasticDepth(string? Name, double P) : FLayer(Name)
    {
        public override string Kind => "StochasticDepth";
        protected override IEnumerable<string> Arguments() => new[] { P.ToString("R", CultureInfo.InvariantCulture) };
        public override Tensor Forward(Tensor x) => x;
    }

    internal sealed record FStem(string? Name, int Channels, int Kernel, int Stride, bool MaxPool) : FLayer(Name)
    {
        public override string Kind => "Stem";
        protected override IEnumerable<string> Arguments() => new[] { N(Channels) }.Concat(Opt("Kernel", Kernel, 7)).Concat(Opt("Stride", Stride, 2)).Concat(Opt("MaxPool", MaxPool, true));
        public override Tensor Forward(Tensor x)
        {
            var y = new FConv(null, Channels, Kernel, Stride, Kernel / 2, 1, 1, true).Forward(x);
            y = new FBatchNorm(null).Forward(y).relu();
            return MaxPool ? new FPool(null, true, 3, 2, 1, 1, false).Forward(y) : y;
        }
    }

    internal sealed record FResidual(string? Name, int Channels, bool Use1x1, int Stride) : FLayer(Name)
    {
        public override string Kind => "Residual";
        protected override IEnumerable<string> Arguments() => new[] { N(Channels) }.Concat(Opt("Use1x1Conv", Use1x1, false)).Concat(Opt("Stride", Stride, 1));
        public override Tensor Forward(Tensor x) => Block(x, Channels, Use1x1, Stride);

        /// <summary>D2L Residual; the two branches must have one shape (a broadcasting add is not a residual).</summary>
        public static Tensor Block(Tensor x, int channels, bool use1x1, int stride)
        {
            var y = new FConv(null, channels, 3, stride, 1, 1, 1, true).Forward(x);
            y = new FBatchNorm(null).Forward(y).relu();
            y = new FBatchNorm(null).Forward(new FConv(null, channels, 3, 1, 1, 1, 1, true).Forward(y));
            var shortcut = use1x1 ? new FConv(null, channels, 1, stride, 0, 1, 1, true).Forward(x) : x;
            if (!y.shape.SequenceEqual(shortcut.shape)) throw new InvalidOperationException("branch shapes differ");
            return (y + shortcut).relu();
        }
    }

    internal sealed record FStage(string? Name, int Blocks, int Channels, bool Downsample) : FLayer(Name)
    {
        public override string Kind => "ResidualStage";
        protected override IEnumerable<string> Arguments() => new[] { N(Blocks), N(Channels) }.Concat(Opt("Downsample", Downsample, false));
        public override Tensor Forward(Tensor x)
        {
            for (int b = 0; b < Blocks; b++) x = FResidual.Block(x, Channels, b == 0 && Downsample, b == 0 && Downsample ? 2 : 1);
            return x;
        }
    }

    /// <summary>Options of the ResNet-family kinds, drawn independently of the generator's defaults (null: attribute default).</summary>
    internal sealed record FOptions(bool? Bias, bool? ProjectionBatchNorm, bool ZeroInit)
    {
        public IEnumerable<string> Arguments() =>
            (Bias is { } b ? new[] { "Bias = " + (b ? "true" : "false") } : Array.Empty<string>())
            .Concat(ProjectionBatchNorm is { } p ? new[] { "ProjectionBatchNorm = " + (p ? "true" : "false") } : Array.Empty<string>())
            .Concat(ZeroInit ? new[] { "ZeroInitLastBatchNorm = true" } : Array.Empty<string>());
    }

    /// <summary>
    /// A ResNet-family kind, written here from the papers and torchvision's resnet.py: main branch, projection
    /// (1x1 conv with stride [+ BatchNorm]) when the stride or channels change, add, ReLU unless pre-activation.
    /// </summary>
    internal abstract record FFamily(string? Name, FOptions Options) : FLayer(Name)
    {
        public bool ZeroInit => Options.ZeroInit;
        public abstract string LastBatchNorm { get; }
        protected abstract bool DefaultBias { get; }
        protected abstract bool DefaultProjectionBatchNorm { get; }
        protected bool Bias => Options.Bias ?? DefaultBias;
        protected bool ProjectionBatchNorm => Options.ProjectionBatchNorm ?? DefaultProjectionBatchNorm;

        protected Tensor Conv(Tensor x, long output, int kernel, long stride, long groups = 1) =>
            new FConv(null, (int)output, kernel, (int)stride, kernel / 2, 1, (int)groups, Bias).Forward(x);

        protected static Tensor Bn(Tensor x) => new FBatchNorm(null).Forward(x);

        /// <summary>One block; <paramref name="project"/> null: torchvision's rule (stride or channels change).</summary>
        protected Tensor Block(Tensor x, bool preAct, bool bottleneck, long width, long output, long stride, long groups, bool strideOnFirst1x1, bool? project = null)
        {
            var a = preAct ? Bn(x).relu() : x;
            Tensor y;
            if (!bottleneck)
            {
                y = preAct
                    ? Conv(Bn(Conv(a, output, 3, stride)).relu(), output, 3, 1)
                    : Bn(Conv(Bn(Conv(x, output, 3, stride)).relu(), output, 3, 1));
            }
            else if (!preAct)
            {
                y = Bn(Conv(x, width, 1, strideOnFirst1x1 ? stride : 1)).relu();
                y = Bn(Conv(y, width, 3, strideOnFirst1x1 ? 1 : stride, groups)).relu();
                y = Bn(Conv(y, output, 1, 1));
            }
            else
            {
                y = Bn(Conv(a, width, 1, 1)).relu();
                y = Bn(Conv(y, width, 3, stride, groups)).relu();
                y = Conv(y, output, 1, 1);
            }
            bool projection = project ?? (stride != 1 || x.shape[1] != output);
            var shortcut = x;
            if (projection)
            {
                shortcut = Conv(a, output, 1, stride);
                if (ProjectionBatchNorm) shortcut = Bn(shortcut);
            }
            if (!y.shape.SequenceEqual(shortcut.shape)) throw new InvalidOperationException("branch shapes differ");
            return preAct ? y + shortcut : (y + shortcut).relu();
        }
    }

    internal sealed record FBasicStage(string? Name, int Blocks, int Channels, int Stride, FOptions Options) : FFamily(Name, Options)
    {
        public override string Kind => "BasicStage";
        public override string LastBatchNorm => "bn2";
        protected override bool DefaultBias => false;
        protected override bool DefaultProjectionBatchNorm => true;
        protected override IEnumerable<string> Arguments() => new[] { N(Blocks), N(Channels) }.Concat(Opt("Stride", Stride, 1)).Concat(Options.Arguments());
        public override Tensor Forward(Tensor x)
        {
            for (int b = 0; b < Blocks; b++) x = Block(x, false, false, Channels, Channels, b == 0 ? Stride : 1, 1, false);
            return x;
        }
    }

    /// <summary>torchvision Bottleneck stage: width = int(planes * baseWidth / 64) * groups, output planes * expansion.</summary>
    internal sealed record FBottleneckStage(string? Name, int Blocks, int Planes, int Stride, int Groups, int BaseWidth, int Expansion, bool StrideOnFirst1x1, FOptions Options) : FFamily(Name, Options)
    {
        public override string Kind => "BottleneckStage";
        public override string LastBatchNorm => "bn3";
        protected override bool DefaultBias => false;
        protected override bool DefaultProjectionBatchNorm => true;
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Blocks), N(Planes) }.Concat(Opt("Stride", Stride, 1)).Concat(Opt("Groups", Groups, 1)).Concat(Opt("BaseWidth", BaseWidth, 64))
                .Concat(Opt("Expansion", Expansion, 4)).Concat(Opt("StrideOnFirst1x1", StrideOnFirst1x1, false)).Concat(Options.Arguments());
        public override Tensor Forward(Tensor x)
        {
            for (int b = 0; b < Blocks; b++) x = Block(x, false, true, Planes * BaseWidth / 64 * Groups, Planes * Expansion, b == 0 ? Stride : 1, Groups, StrideOnFirst1x1);
            return x;
        }
    }

    /// <summary>Pre-activation stage (He et al. 2016): basic (planes out) or bottleneck (planes * 4 out).</summary>
    internal sealed record FPreActStage(string? Name, int Blocks, int Planes, int Stride, bool Bottleneck, int Groups, int BaseWidth, FOptions Options) : FFamily(Name, Options)
    {
        public override string Kind => "PreActStage";
        public override string LastBatchNorm => "none";
        protected override bool DefaultBias => false;
        protected override bool DefaultProjectionBatchNorm => false;
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Blocks), N(Planes) }.Concat(Opt("Stride", Stride, 1)).Concat(Opt("Bottleneck", Bottleneck, false)).Concat(Opt("Groups", Groups, 1))
                .Concat(Opt("BaseWidth", BaseWidth, 64)).Concat(Options.Arguments());
        public override Tensor Forward(Tensor x)
        {
            long width = Bottleneck ? Planes * BaseWidth / 64 * Groups : Planes, output = Bottleneck ? Planes * 4 : Planes;
            for (int b = 0; b < Blocks; b++) x = Block(x, true, Bottleneck, width, output, b == 0 ? Stride : 1, Bottleneck ? Groups : 1, false);
            return x;
        }
    }

    /// <summary>D2L ResNeXtBlock: b = round(channels * multiplier), b / groupWidth groups, projection only when asked.</summary>
    internal sealed record FResNeXt(string? Name, int Channels, int GroupWidth, double Multiplier, bool Use1x1, int Stride, FOptions Options) : FFamily(Name, Options)
    {
        public override string Kind => "ResNeXtBlock";
        public override string LastBatchNorm => "bn3";
        protected override bool DefaultBias => true;
        protected override bool DefaultProjectionBatchNorm => true;
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Channels), N(GroupWidth) }.Concat(Multiplier == 1.0 ? Array.Empty<string>() : new[] { Multiplier.ToString("R", CultureInfo.InvariantCulture) })
                .Concat(Opt("Use1x1Conv", Use1x1, false)).Concat(Opt("Stride", Stride, 1)).Concat(Options.Arguments());
        public override Tensor Forward(Tensor x)
        {
            long b = (long)Math.Round(Channels * Multiplier, MidpointRounding.ToEven);
            return Block(x, false, true, b, Channels, Stride, Math.Max(1, b / GroupWidth), false, project: Use1x1);
        }
    }

    internal sealed record FHead(string? Name, int Classes) : FLayer(Name)
    {
        public override string Kind => "ClassifierHead";
        protected override IEnumerable<string> Arguments() => new[] { N(Classes) };
        public override Tensor Forward(Tensor x) => new FLinear(null, Classes, 0).Forward(new FAdaptive(null, 1).Forward(x).flatten(1));
    }

    internal sealed record FConv1d(string? Name, int Out, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias) : FLayer(Name)
    {
        public override string Kind => "Conv1d";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Out), N(Kernel) }.Concat(Opt("Stride", Stride, 1)).Concat(Opt("Padding", Padding, 0)).Concat(Opt("Dilation", Dilation, 1)).Concat(Opt("Groups", Groups, 1)).Concat(Opt("Bias", Bias, true));
        public override Tensor Forward(Tensor x) => Run(nn.Conv1d(x.shape[1], Out, Kernel, stride: Stride, padding: (long)Padding, dilation: Dilation, groups: Groups, bias: Bias), x);
    }

    internal sealed record FBatchNorm1d(string? Name) : FLayer(Name)
    {
        public override string Kind => "BatchNorm1d";
        protected override IEnumerable<string> Arguments() => Array.Empty<string>();
        public override Tensor Forward(Tensor x) => Run(nn.BatchNorm1d(x.shape[1]), x);
    }

    internal sealed record FGroupNorm(string? Name, int Groups) : FLayer(Name)
    {
        public override string Kind => "GroupNorm";
        protected override IEnumerable<string> Arguments() => new[] { N(Groups) };
        public override Tensor Forward(Tensor x) => Run(nn.GroupNorm(Groups, x.shape[1]), x);
    }

    /// <summary>Softmax over PyTorch's dim (batch included); 0 and dims beyond the rank are refused by the generator (DSL008).</summary>
    internal sealed record FSoftmax(string? Name, int Dim) : FLayer(Name)
    {
        public override string Kind => "Softmax";
        protected override IEnumerable<string> Arguments() => Dim == -1 ? Array.Empty<string>() : new[] { "Dim = " + N(Dim) };
        public override Tensor Forward(Tensor x) => Run(nn.Softmax(Dim), x);
    }

    internal sealed record FPool1d(string? Name, bool Max, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode) : FLayer(Name)
    {
        public override string Kind => Max ? "MaxPool1d" : "AvgPool1d";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Kernel) }.Concat(Opt("Stride", Stride, 0)).Concat(Opt("Padding", Padding, 0)).Concat(Max ? Opt("Dilation", Dilation, 1) : Array.Empty<string>()).Concat(Opt("CeilMode", CeilMode, false));
        public override Tensor Forward(Tensor x) => Max
            ? Run(nn.MaxPool1d(Kernel, stride: Stride == 0 ? Kernel : Stride, padding: Padding, dilation: Dilation, ceil_mode: CeilMode), x)
            : Run(nn.AvgPool1d(Kernel, stride: Stride == 0 ? Kernel : Stride, padding: Padding, ceil_mode: CeilMode), x);
    }

    internal sealed record FAdaptive1d(string? Name, int Size) : FLayer(Name)
    {
        public override string Kind => "AdaptiveAvgPool1d";
        protected override IEnumerable<string> Arguments() => Size == 1 ? Array.Empty<string>() : new[] { N(Size) };
        public override Tensor Forward(Tensor x) => Run(nn.AdaptiveAvgPool1d(Size), x);
    }

    /// <summary>Runs the first <c>count</c> layers of a declaration as plain TorchSharp modules (batch 1).</summary>
    /// <summary>An embedding of token ids, built as nn.Embedding (the vocabulary is the declaration's).</summary>
    internal sealed record FEmbedding(string? Name, int Dim, int Vocabulary, int PaddingIndex) : FLayer(Name)
    {
        public override string Kind => "Embedding";
        protected override IEnumerable<string> Arguments() => new[] { N(Dim) }.Concat(Opt("PaddingIndex", PaddingIndex, -1));
        public override Tensor Forward(Tensor x) => Run(nn.Embedding(Vocabulary, Dim, padding_idx: PaddingIndex >= 0 ? PaddingIndex : null), x);
    }

    /// <summary>Position vectors added to tokens [N, L, D]: the first L rows of a [max, D] table (learned: max x D parameters).</summary>
    internal sealed record FPositionTable(string? Name, int MaxLength, bool Sinusoidal) : FLayer(Name)
    {
        public override string Kind => "PositionTable";
        protected override IEnumerable<string> Arguments() => new[] { N(MaxLength) }.Concat(Opt("Sinusoidal", Sinusoidal, false));
        public override Tensor Forward(Tensor x)
        {
            if (x.dim() != 3 || x.dtype == ScalarType.Int64) throw new ArgumentException("a position table adds to tokens [N, L, D]");
            if (x.shape[1] > MaxLength) throw new ArgumentException("the sequence is longer than the table");
            if (!Sinusoidal) Built += MaxLength * x.shape[2];
            return x + torch.randn(MaxLength, x.shape[2]).narrow(0, 0, x.shape[1]);
        }
    }

    /// <summary>Self-attention built from its parts: a Linear E to 3E, scaled dot-product attention per head, a Linear E to E.</summary>
    internal sealed record FSelfAttention(string? Name, int Heads, bool Causal, bool Gpt2, bool PaddingMask) : FLayer(Name)
    {
        public override string Kind => "MultiheadSelfAttention";
        protected override IEnumerable<string> Arguments() => new[] { N(Heads) }.Concat(Opt("Causal", Causal, false))
            .Concat(Gpt2 ? new[] { "Layout = AttentionLayout.Gpt2" } : Array.Empty<string>()).Concat(Opt("PaddingMask", PaddingMask, false));
        public override Tensor Forward(Tensor x)
        {
            if (x.dim() != 3 || x.dtype == ScalarType.Int64) throw new ArgumentException("attention takes tokens [N, L, E]");
            long n = x.shape[0], length = x.shape[1], embed = x.shape[2];
            if (embed % Heads != 0) throw new ArgumentException("the heads do not divide E");
            var qkv = Run(nn.Linear(embed, 3 * embed), x).chunk(3, -1);
            Tensor Split(Tensor t) => t.reshape(n, length, Heads, embed / Heads).transpose(1, 2);
            var attended = nn.functional.scaled_dot_product_attention(Split(qkv[0]), Split(qkv[1]), Split(qkv[2]), is_casual: Causal);
            return Run(nn.Linear(embed, embed), attended.transpose(1, 2).reshape(n, length, embed));
        }
    }

    /// <summary>nn.LSTM / nn.GRU, batch first: every step's output, or the last layer's final hidden state (directions joined).</summary>
    internal sealed record FRecurrent(string? Name, bool Lstm, int Hidden, int Layers, bool Bidirectional, bool LastStep) : FLayer(Name)
    {
        public override string Kind => Lstm ? "LSTM" : "GRU";
        protected override IEnumerable<string> Arguments() =>
            new[] { N(Hidden), LastStep ? "RecurrentOutput.LastStep" : "RecurrentOutput.AllSteps" }.Concat(Opt("Layers", Layers, 1)).Concat(Opt("Bidirectional", Bidirectional, false));
        public override Tensor Forward(Tensor x)
        {
            if (x.dim() != 3 || x.dtype == ScalarType.Int64) throw new ArgumentException("a recurrent layer reads steps [N, L, F]");
            Tensor output, hidden;
            if (Lstm)
            {
                using var m = nn.LSTM(x.shape[2], Hidden, Layers, batchFirst: true, bidirectional: Bidirectional);
                Count(m);
                (output, hidden, _) = m.forward(x, null);
            }
            else
            {
                using var m = nn.GRU(x.shape[2], Hidden, Layers, batchFirst: true, bidirectional: Bidirectional);
                Count(m);
                (output, hidden) = m.forward(x, null);
            }
            if (!LastStep) return output;
            long count = hidden.shape[0];
            return Bidirectional ? torch.cat(new[] { hidden[count - 2], hidden[count - 1] }, 1) : hidden[count - 1];
        }
    }

    /// <summary>A Linear using the Embedding "wte"'s weight: only its bias is its own.</summary>
    internal sealed record FTiedLinear(string? Name, int Out, bool Bias) : FLayer(Name)
    {
        public override string Kind => "Linear";
        protected override IEnumerable<string> Arguments() => new[] { N(Out), "TiedTo = \"wte\"" }.Concat(Opt("Bias", Bias, true));
        public override Tensor Forward(Tensor x)
        {
            if (Bias) Built += Out;
            return nn.functional.linear(x, torch.randn(Out, x.shape[^1]), Bias ? torch.zeros(Out) : null);
        }
    }

    internal static class TorchModel
    {
        /// <summary>Every top-level layer's output shape (batch 1) and the parameters of the modules built.</summary>
        public static (List<long[]> Shapes, long Parameters) Shapes(Decl decl)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            FLayer.Built = 0;
            var shapes = new List<long[]>();
            var x = decl.Input(1);
            foreach (var layer in decl.Layers)
            {
                x = layer.Forward(x);
                shapes.Add(x.shape);
            }
            return (shapes, FLayer.Built);
        }

        public static long[] Run(Decl decl, int count, int batch = 1)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var x = decl.Input(batch);
            for (int i = 0; i < count; i++) x = decl.Layers[i].Forward(x);
            return x.shape;
        }
    }

    /// <summary>Generators of random declarations: mostly plausible networks, some fully random sequences.</summary>
    internal static class FuzzGen
    {
        /// <summary>Mostly <paramref name="valid"/>, now and then <paramref name="invalid"/> (an invalid value).</summary>
        private static Gen<int> Mostly(Gen<int> valid, Gen<int> invalid) => Gen.Frequency((30, valid), (1, invalid));

        private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

        /// <summary>Mostly no name (the automatic one); now and then one of the name property test's hostile names.</summary>
        private static readonly Gen<string?> Name = Gen.Frequency(
            (20, Gen.Const((string?)null)),
            (1, Pick<string?>(NameFuzzTests.HostileNames)));

        private static readonly Gen<FLayer> Conv =
            Gen.Select(Name, Mostly(Gen.Int[1, 6], Gen.Int[-1, 0]), Mostly(Gen.Int[1, 5], Gen.Int[-1, 0]), Mostly(Gen.Int[1, 3], Gen.Int[-1, 0]),
                    Mostly(Gen.Int[0, 2], Gen.Const(-1)), Gen.Frequency((4, Gen.Const(1)), (1, Gen.Int[2, 3])), Gen.Frequency((5, Gen.Const(1)), (2, Gen.Int[2, 3])), Gen.Bool)
                .Select(t => (FLayer)new FConv(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

        private static Gen<(int, int)> Axes(Gen<int> each) => Gen.Select(each, each);

        private static readonly Gen<FLayer> ConvAxes =
            Gen.Select(Name, Mostly(Gen.Int[1, 6], Gen.Const(0)), Axes(Mostly(Gen.Int[1, 7], Gen.Int[-1, 0])), Axes(Gen.Frequency((3, Gen.Const(1)), (1, Gen.Int[2, 3]))),
                    Axes(Mostly(Gen.Int[0, 3], Gen.Const(-1))), Axes(Gen.Frequency((4, Gen.Const(1)), (1, Gen.Int[2, 3]))), Gen.Frequency((5, Gen.Const(1)), (2, Gen.Int[2, 3])), Gen.Bool)
                .Select(t => (FLayer)new FConvAxes(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

        private static readonly Gen<FLayer> ConvTranspose =
            Gen.Select(Name, Mostly(Gen.Int[1, 6], Gen.Const(0)), Mostly(Gen.Int[1, 4], Gen.Const(0)), Mostly(Gen.Int[1, 3], Gen.Const(0)),
                    Gen.Frequency((4, Gen.Const(0)), (2, Gen.Int[1, 3]), (1, Gen.Const(-1))), Gen.Frequency((4, Gen.Const(0)), (2, Gen.Int[1, 2])),
                    Gen.Frequency((4, Gen.Const(1)), (1, Gen.Int[2, 3])), Gen.Frequency((5, Gen.Const(1)), (2, Gen.Int[2, 3])))
                .Select(Gen.Bool, (t, bias) => (FLayer)new FConvTranspose(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8, bias));

        private static readonly Gen<FLayer> Upsample =
            Gen.Select(Name, Gen.Frequency((20, Pick(2.0, 1.0, 0.5, 1.5, 3.0, 0.25)), (1, Pick(0.0, -1.0))), Gen.Bool, Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))))
                .Select(t => (FLayer)new FUpsample(t.Item1, t.Item2, t.Item3, t.Item4));

        private static readonly Gen<FLayer> Pool =
            Gen.Select(Name, Gen.Bool, Mostly(Gen.Int[1, 4], Gen.Const(0)), Gen.Int[0, 3], Mostly(Gen.Int[0, 2], Gen.Const(-1)), Gen.Frequency((4, Gen.Const(1)), (1, Gen.Const(2))), Gen.Bool)
                .Select(t => (FLayer)new FPool(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item2 ? t.Item6 : 1, t.Item7));

        private static readonly Gen<FLayer> Activation =
            Gen.Select(Name, Pick("ReLU", "Sigmoid", "Tanh", "ReLU6", "SiLU", "GELU", "Hardswish", "Hardsigmoid", "LeakyReLU", "ELU", "Identity"))
                .Select(t => (FLayer)new FActivation(t.Item1, t.Item2));

        private static readonly Gen<FLayer> Dropout =
            Gen.Select(Name, Gen.Frequency((20, Pick(0.0, 0.2, 0.5)), (1, Pick(1.0, -0.1))))
                .Select(t => (FLayer)new FDropout(t.Item1, t.Item2));

        private static readonly Gen<FLayer> Linear =
            Gen.Select(Name, Mostly(Gen.Int[1, 8], Gen.Const(0)), Gen.Frequency((5, Gen.Const(0)), (1, Gen.Int[1, 64])))
                .Select(t => (FLayer)new FLinear(t.Item1, t.Item2, t.Item3));

        private static readonly Gen<FLayer> StochasticDepth =
            Gen.Select(Name, Gen.Frequency((20, Pick(0.0, 0.1, 1.0)), (1, Pick(1.5, -0.1))))
                .Select(t => (FLayer)new FStochasticDepth(t.Item1, t.Item2));

        // The ConvNeXt kinds. [LayerScale] is left out: it is a parameter of the enclosing block, not a module, so a
        // top-level one has no child to run in order (the user-block tests cover it).
        private static readonly Gen<FLayer> Permute =
            Gen.Select(Name, Gen.Frequency((20, Pick(new[] { 0, 2, 3, 1 }, new[] { 0, 3, 1, 2 }, new[] { 0, 1, 3, 2 }, new[] { 0, 2, 1 })), (1, Pick(new[] { 1, 0, 2, 3 }, new[] { 0, 1, 1, 2 }))))
                .Select(t => (FLayer)new FPermute(t.Item1, t.Item2));

        private static readonly Gen<bool?> MaybeBool = Gen.Frequency((2, Gen.Const((bool?)null)), (1, Gen.Bool.Select(b => (bool?)b)));

        /// <summary>Bias, ProjectionBatchNorm (each left at the default or set) and ZeroInitLastBatchNorm.</summary>
        private static readonly Gen<FOptions> Options = Gen.Select(MaybeBool, MaybeBool, Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))))
            .Select(t => new FOptions(t.Item1, t.Item2, t.Item3));

        private static readonly Gen<FLayer> Softmax = Gen.Select(Name, Gen.Frequency((6, Gen.Const(-1)), (3, Gen.Int[1, 3]), (2, Gen.Int[-3, -2]), (1, Pick(0, 4, -5))))
            .Select(t => (FLayer)new FSoftmax(t.Item1, t.Item2));

        private static readonly Gen<FLayer> GroupNorm = Gen.Select(Name, Mostly(Gen.Frequency((3, Gen.Int[1, 3]), (1, Gen.Int[4, 6])), Gen.Const(0)))
            .Select(t => (FLayer)new FGroupNorm(t.Item1, t.Item2));

        private static readonly Gen<FLayer> Conv1d =
            Gen.Select(Name, Mostly(Gen.Int[1, 6], Gen.Int[-1, 0]), Mostly(Gen.Int[1, 5], Gen.Int[-1, 0]), Mostly(Gen.Int[1, 3], Gen.Int[-1, 0]),
                    Mostly(Gen.Int[0, 2], Gen.Const(-1)), Gen.Frequency((4, Gen.Const(1)), (1, Gen.Int[2, 3])), Gen.Frequency((5, Gen.Const(1)), (2, Gen.Int[2, 3])), Gen.Bool)
                .Select(t => (FLayer)new FConv1d(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

        private static readonly Gen<FLayer> Pool1d =
            Gen.Select(Name, Gen.Bool, Mostly(Gen.Int[1, 4], Gen.Const(0)), Gen.Int[0, 3], Mostly(Gen.Int[0, 2], Gen.Const(-1)), Gen.Frequency((4, Gen.Const(1)), (1, Gen.Const(2))), Gen.Bool)
                .Select(t => (FLayer)new FPool1d(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item2 ? t.Item6 : 1, t.Item7));

        /// <summary>Layers for sequences (channels, length).</summary>
        private static readonly Gen<FLayer> Sequence = Gen.Frequency(
            (6, Conv1d),
            (2, Name.Select(n => (FLayer)new FBatchNorm1d(n))),
            (2, GroupNorm),
            (3, Activation),
            (4, Pool1d),
            (1, Gen.Select(Name, Gen.Int[1, 3]).Select(t => (FLayer)new FAdaptive1d(t.Item1, t.Item2))),
            (1, Softmax),
            (1, Dropout),
            (1, Linear));

        private static readonly Gen<FLayer> Image = Gen.Frequency(
            (6, Conv),
            (2, ConvAxes),
            (2, Name.Select(n => (FLayer)new FBatchNorm(n))),
            (3, Activation),
            (4, Pool),
            (1, Gen.Select(Name, Gen.Int[1, 3]).Select(t => (FLayer)new FAdaptive(t.Item1, t.Item2))),
            (1, Dropout),
            (1, Permute),
            (1, Name.Select(n => (FLayer)new FLayerNorm2d(n))),
            (1, StochasticDepth),
            (2, Gen.Select(Name, Gen.Int[1, 6], Gen.Bool, Gen.Int[1, 2]).Select(t => (FLayer)new FResidual(t.Item1, t.Item2, t.Item3, t.Item4))),
            (2, Gen.Select(Name, Gen.Int[1, 2], Gen.Int[1, 6], Gen.Bool).Select(t => (FLayer)new FStage(t.Item1, t.Item2, t.Item3, t.Item4))),
            (1, Gen.Select(Name, Gen.Int[1, 6], Mostly(Gen.Int[1, 7], Gen.Const(0)), Gen.Int[1, 2], Gen.Bool).Select(t => (FLayer)new FStem(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5))),
            (1, Gen.Select(Name, Gen.Int[1, 2], Mostly(Gen.Int[1, 6], Gen.Const(0)), Mostly(Gen.Int[1, 2], Gen.Const(0)), Options)
                .Select(t => (FLayer)new FBasicStage(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5))),
            (1, Gen.Select(Name, Gen.Int[1, 2], Gen.Int[1, 3], Gen.Int[1, 2], Gen.Int[1, 2], Pick(64, 32, 128, 16), Gen.Int[1, 4], Gen.Bool)
                .Select(Options, (t, o) => (FLayer)new FBottleneckStage(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8, o))),
            (1, Gen.Select(Name, Gen.Int[1, 2], Gen.Int[1, 4], Gen.Int[1, 2], Gen.Bool, Gen.Int[1, 2], Pick(64, 32, 128))
                .Select(Options, (t, o) => (FLayer)new FPreActStage(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item5 ? t.Item6 : 1, t.Item7, o with { ZeroInit = false }))),
            (1, Gen.Select(Name, Gen.Int[1, 8], Gen.Int[1, 4], Pick(1.0, 0.5, 2.0), Gen.Bool, Gen.Int[1, 2])
                .Select(Options, (t, o) => (FLayer)new FResNeXt(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, o))),
            (1, GroupNorm),
            (1, Softmax),
            (2, ConvTranspose),
            (2, Upsample));

        private static readonly Gen<FLayer> Flat = Gen.Frequency((4, Linear), (2, Activation), (1, Dropout), (1, Name.Select(n => (FLayer)new FFlatten(n))),
            (1, Name.Select(n => (FLayer)new FBatchNorm1d(n))), (1, Softmax), (1, StochasticDepth));

        private static readonly Gen<FLayer> Head = Gen.Select(Name, Gen.Int[1, 5]).Select(t => (FLayer)new FHead(t.Item1, t.Item2));

        private static readonly Gen<FLayer[]> Tail = Gen.Frequency(
            (1, Gen.Const(Array.Empty<FLayer>())),
            (2, Head.Select(h => new[] { h })),
            (4, Flat.Array[0, 3].Select(Name, (rest, n) => new FLayer[] { new FFlatten(n) }.Concat(rest).ToArray())));

        private static readonly Gen<FLayer[]> Structured = Gen.Select(Image.Array[0, 5], Tail, (a, b) => a.Concat(b).ToArray());

        private static readonly Gen<FLayer[]> Random = Gen.Frequency((5, Image), (3, Flat), (1, Head)).Array[0, 6];

        /// <summary>Sequences end with nothing, a global pooling and a classifier, or a Flatten and flat layers.</summary>
        private static readonly Gen<FLayer[]> SequenceTail = Gen.Frequency(
            (1, Gen.Const(Array.Empty<FLayer>())),
            (2, Gen.Select(Name, Gen.Int[1, 5]).Select(t => new FLayer[] { new FAdaptive1d(null, 1), new FFlatten(t.Item1), new FLinear(null, t.Item2, 0) })),
            (4, Flat.Array[0, 3].Select(Name, (rest, n) => new FLayer[] { new FFlatten(n) }.Concat(rest).ToArray())));

        private static readonly Gen<FLayer[]> SequenceStructured = Gen.Select(Sequence.Array[0, 5], SequenceTail, (a, b) => a.Concat(b).ToArray());

        /// <summary>Sequence and flat layers in any order (image layers on a sequence are left out: see ConfirmFailure).</summary>
        private static readonly Gen<FLayer[]> SequenceRandom = Gen.Frequency((5, Sequence), (3, Flat)).Array[0, 6];

        private static readonly Gen<Decl> Images =
            Gen.Select(Mostly(Gen.Int[1, 4], Gen.Const(0)), Gen.Int[1, 16], Gen.Int[1, 16], Gen.Frequency((3, Structured), (1, Random)))
                .Select(t => new Decl(t.Item1, t.Item2, t.Item3, t.Item4));

        private static readonly Gen<Decl> Sequences =
            Gen.Select(Mostly(Gen.Int[1, 6], Gen.Const(0)), Mostly(Gen.Int[1, 24], Gen.Const(0)), Gen.Frequency((3, SequenceStructured), (1, SequenceRandom)))
                .Select(t => new Decl(t.Item1, 0, t.Item2, t.Item3, Rank: 2));

        private static readonly Gen<Decl> Features =
            Gen.Select(Mostly(Gen.Int[1, 40], Gen.Const(0)), Gen.Frequency((4, Flat), (1, Sequence), (1, Image)).Array[0, 5])
                .Select(t => new Decl(t.Item1, 0, 0, t.Item2, Rank: 1));

        /// <summary>Layers on embedded tokens [L, D]: attention, recurrent layers every step, per-position layers.</summary>
        private static Gen<FLayer> TokenLayer(bool padding) => Gen.Frequency(
            (3, Gen.Select(Name, Mostly(Gen.Int[1, 4], Gen.Const(0)), Gen.Bool, Gen.Bool, Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(padding))))
                .Select(t => (FLayer)new FSelfAttention(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5))),
            (3, Gen.Select(Name, Gen.Bool, Gen.Int[1, 8], Gen.Int[1, 2], Gen.Bool).Select(t => (FLayer)new FRecurrent(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, false))),
            (1, Activation),
            (1, Dropout),
            (1, Linear));

        /// <summary>
        /// Token ids: an Embedding (now and then missing: ids into another layer), maybe a position table, token layers, then
        /// nothing, a Linear tied to the embedding (next-token logits), the last step of a recurrent layer with a
        /// classifier, or a Flatten and flat layers.
        /// </summary>
        private static readonly Gen<Decl> Tokens =
            Gen.Select(Gen.Int[2, 40], Mostly(Gen.Int[1, 12], Gen.Const(0)), Mostly(Gen.Int[1, 12], Gen.Const(0)), Gen.Frequency((2, Gen.Const(-1)), (2, Gen.Int[0, 1]), (1, Gen.Int[2, 45])),
                    Gen.Frequency((2, Gen.Const(0)), (3, Gen.Int[1, 14])), Gen.Bool, Gen.Int[0, 3], Gen.Frequency((8, Gen.Const(true)), (1, Gen.Const(false))))
                .SelectMany(t =>
                {
                    var (vocabulary, length, dim, padding, table, sinusoidal, tail, embedded) = t;
                    return Gen.Select(TokenLayer(padding >= 0).Array[0, 3], Flat.Array[0, 2], Gen.Int[1, 6], Gen.Bool, Name).Select(u =>
                    {
                        var layers = new List<FLayer>();
                        if (embedded) layers.Add(new FEmbedding(tail == 1 ? "wte" : u.Item5, dim, vocabulary, padding));
                        if (table > 0) layers.Add(new FPositionTable(null, table, sinusoidal));
                        layers.AddRange(u.Item1);
                        switch (tail)
                        {
                            case 1: layers.Add(new FTiedLinear(null, u.Item4 ? vocabulary : u.Item3, u.Item4)); break;
                            case 2: layers.Add(new FRecurrent(null, u.Item4, u.Item3, 1, false, true)); layers.Add(new FLinear(null, u.Item3, 0)); break;
                            case 3: layers.Add(new FFlatten(null)); layers.AddRange(u.Item2); break;
                        }
                        return new Decl(vocabulary, 0, length, layers.ToArray(), Rank: 0);
                    });
                });

        public static readonly Gen<Decl> Declaration = Gen.Frequency((6, Images), (3, Sequences), (1, Features), (2, Tokens));
    }
}
