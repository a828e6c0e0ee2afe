using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Generator.Diagnostics;
using Dsl.Generator.Graph;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Dsl.Generator.Tests
{
    /// <summary>One test per diagnostic: the exact span (from [| |] markup) and the exact message.</summary>
    public class DiagnosticTests
    {
        private const string Usings = "using Dsl;\nnamespace Nets;\n";

        /// <summary>Runs the analyzer on <paramref name="markup"/> and checks it reports exactly <paramref name="expected"/>, one per marked span, in order.</summary>
        private static void Verify(string markup, params (string Id, string Message)[] expected) =>
            DiagnosticHarness.Verify(Usings + markup, expected);

        [Fact]
        public void DSL001_OutputBelowOne_AtTheKernel() => Verify(
            "[Input(1, 4, 4)] [MaxPool2d(2)] [MaxPool2d(2)] [MaxPool2d([|2|])]\npublic partial class Net;",
            ("DSL001", "'maxpool3' turns its 1x1 input into 0x0, but height and width must stay at least 1; use a smaller kernel or stride, more padding, or fewer downsampling layers before it"));

        [Fact]
        public void DSL002_KernelLargerThanInput_AtTheKernelLiteral() => Verify(
            "[Input(1, 4, 4)] [Conv2d(8, [|7|], Padding = 1)]\npublic partial class Net;",
            ("DSL002", "'conv1' has a 7x7 kernel (dilation included) but its padded input is only 6x6; use a smaller kernel or dilation, or more padding"));

        [Fact]
        public void DSL002_DilatedKernel_AtTheKernel() => Verify(
            "[Input(1, 5, 5)] [Conv2d(8, [|3|], Dilation = 3)]\npublic partial class Net;",
            ("DSL002", "'conv1' has a 7x7 kernel (dilation included) but its padded input is only 5x5; use a smaller kernel or dilation, or more padding"));

        [Fact]
        public void DSL003_LinearInFeatures_AtTheArgument_WithTheInferredValue()
        {
            Verify(
                "[Input(1, 28, 28)] [Conv2d(6, 5)] [Flatten] [Linear(10, [|InFeatures = 500|])]\npublic partial class Net;",
                ("DSL003", "'fc1' declares InFeatures = 500 but receives 3456 features; set InFeatures = 3456, or remove InFeatures to have it inferred"));
            var compilation = DiagnosticHarness.Compile(Usings + "[Input(1, 28, 28)] [Conv2d(6, 5)] [Flatten] [Linear(10, InFeatures = 500)] public partial class Net;");
            var diagnostic = Assert.Single(DiagnosticHarness.Analyze(compilation));
            Assert.Equal("3456", diagnostic.Properties[Descriptors.InferredInFeatures]);
        }

        [Fact]
        public void DSL004_NeedsImageInput_AfterFlatten() => Verify(
            "[Input(1, 8, 8)] [Flatten] [[|Conv2d(4, 3)|]]\npublic partial class Net;",
            ("DSL004", "'conv1' (Conv2d) needs image input (channels, height, width) but receives the flat shape [64]; move it before the Flatten, or remove the Flatten"));

        [Fact]
        public void DSL005_NeedsFlatInput_LinearWithoutFlatten() => Verify(
            "[Input(1, 8, 8)] [[|Linear(10)|]]\npublic partial class Net;",
            ("DSL005", "'fc1' (Linear) needs flat input but receives the image shape [1, 8, 8]; put [Flatten] before it"));

        [Fact]
        public void FlattenOnFlatInput_ActivationsAndDropout_AcceptBothRanks() => Verify(
            "[Input(1, 8, 8)] [ReLU] [Dropout] [Flatten] [Flatten] [ReLU] [Dropout(0.2)] [Sigmoid] [Linear(10)] [Tanh]\npublic partial class Net;");

        [Fact]
        public void DSL006_GroupsDoNotDivide_AtGroups() => Verify(
            "[Input(3, 8, 8)] [Conv2d(8, 3, [|Groups = 2|])]\npublic partial class Net;",
            ("DSL006", "'conv1' has Groups = 2, which must divide both its input channels (3) and its output channels (8); choose a common divisor such as Groups = 1"));

        [Fact]
        public void DSL007_ResidualStageWithoutDownsample_AtTheWholeAttribute() => Verify(
            "[Input(1, 28, 28)] [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)] [[|ResidualStage(1, 32)|]]\npublic partial class Net;",
            ("DSL007", "Residual block 'stage1.0' adds a main branch of shape [32, 28, 28] to a shortcut of shape [16, 28, 28]; set Downsample = true on the stage, or give the previous layer 32 output channels"));

        [Fact]
        public void DSL007_ResidualStageWithDownsampleFalse_AtDownsample() => Verify(
            "[Input(1, 28, 28)] [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)] [ResidualStage(1, 32, [|Downsample = false|])]\npublic partial class Net;",
            ("DSL007", "Residual block 'stage1.0' adds a main branch of shape [32, 28, 28] to a shortcut of shape [16, 28, 28]; set Downsample = true on the stage, or give the previous layer 32 output channels"));

        [Fact]
        public void DSL007_ResidualWithStrideAndNo1x1_AtUse1x1Conv() => Verify(
            "[Input(3, 6, 6)] [Residual(3, [|Use1x1Conv = false|], Stride = 2)]\npublic partial class Net;",
            ("DSL007", "Residual block 'block1' adds a main branch of shape [3, 3, 3] to a shortcut of shape [3, 6, 6]; set Use1x1Conv = true, or give the previous layer 3 output channels and use Stride = 1"));

        [Fact]
        public void DSL008_InvalidValues_AtEachArgument() => Verify(
            "[Input(1, [|0|], 28)] [Conv2d([|0|], 3, [|Stride = -1|], [|Padding = -2|])] [MaxPool2d(2, [|Padding = 2|])] [Dropout([|1.5|])]\npublic partial class Net;",
            ("DSL008", "'Input' has height = 0, but it must be at least 1"),
            ("DSL008", "'conv1' has outChannels = 0, but it must be at least 1"),
            ("DSL008", "'conv1' has Stride = -1, but it must be at least 1"),
            ("DSL008", "'conv1' has Padding = -2, but it must be at least 0"),
            ("DSL008", "'maxpool1' has Padding = 2, but it must be at most half the kernel (1)"),
            ("DSL008", "'dropout1' has probability = 1.5, but it must be in [0, 1)"));

        [Fact]
        public void DSL008_NamedConstructorArgument_IsFound() => Verify(
            "[Input(1, 8, 8)] [Conv2d(kernel: 3, [|outChannels: -4|])]\npublic partial class Net;",
            ("DSL008", "'conv1' has outChannels = -4, but it must be at least 1"));

        [Fact]
        public void DSL009_MissingInput_AtTheClassName() => Verify(
            "[Conv2d(4, 3)] [ReLU]\npublic partial class [|NoInput|];",
            ("DSL009", "'NoInput' has layer attributes but no [Input(channels, height, width)]; add [Input] before the first layer"));

        [Fact]
        public void DSL010_NotPartial_AtTheClassName() => Verify(
            "[Input(1, 8, 8)] [Flatten]\npublic class [|Plain|] { }",
            ("DSL010", "Network class 'Plain' is not partial, so the generator cannot add its module; add the 'partial' modifier"));

        [Fact]
        public void DSL011_SplitDeclaration_AtTheStrayLayer() => Verify(
            "[Input(1, 8, 8)] [Flatten]\npublic partial class Split;\n[[|Linear(10)|]]\npublic partial class Split;",
            ("DSL011", "[Linear] on 'Split' is on another partial declaration than [Input], and layer order is defined only within one declaration; move every layer attribute next to [Input]"));

        [Fact]
        public void DSL012_LayerAfterHead_AtTheLayer() => Verify(
            "[Input(1, 8, 8)] [ClassifierHead(10)] [[|Linear(5)|]]\npublic partial class Net;",
            ("DSL012", "'fc1' comes after the classifier head 'head', which must be the last layer; move it before the head or remove it"));

        [Fact]
        public void DSL013_InvalidLayerNames_AtName() => Verify(
            "[Input(1, 8, 8)] [ReLU([|Name = \"forward\"|])] [Flatten(Name = \"flat\")] [Linear(4, [|Name = \"flat\"|])] [Linear(2, [|Name = \"2fc\"|])]\npublic partial class Net;",
            ("DSL013", "Layer name 'forward' cannot be used because it is a member of the generated module or of TorchSharp's Module; choose another name, such as 'forward_'"),
            ("DSL013", "Layer name 'flat' cannot be used because another layer of this network already has it; choose another name, such as 'flat_'"),
            ("DSL013", "Layer name '2fc' cannot be used because it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised); choose another name, such as '_2fc'"));

        /// <summary>A layer name is a C# field, a Python attribute and a state_dict key: it must be a name in both languages as it is.</summary>
        [Fact]
        public void DSL013_Names_either_language_cannot_take_with_a_legal_suggestion() => Verify(
            "[Input(1, 8, 8)] [ReLU([|Name = \"def\"|])] [ReLU([|Name = \"None\"|])] [ReLU([|Name = \"@class\"|])] [ReLU([|Name = \"__hidden\"|])]"
            + " [ReLU([|Name = \"extra_repr\"|])] [ReLU([|Name = \"_modules\"|])] [ReLU([|Name = \"\uFB01\"|])] [ReLU([|Name = \"var\"|])] [ReLU([|Name = \"input_shape\"|])]\npublic partial class Net;",
            ("DSL013", "Layer name 'def' cannot be used because it is a Python keyword, and the PyTorch twin writes it as a name; choose another name, such as 'def_'"),
            ("DSL013", "Layer name 'None' cannot be used because it is a Python keyword (a constant), and the PyTorch twin writes it as a name; choose another name, such as 'None_'"),
            ("DSL013", "Layer name '@class' cannot be used because it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised); choose another name, such as '_class'"),
            ("DSL013", "Layer name '__hidden' cannot be used because Python mangles names that start with '__' inside a class; choose another name, such as '_hidden'"),
            ("DSL013", "Layer name 'extra_repr' cannot be used because it is an attribute of PyTorch's nn.Module, which the PyTorch twin's module would hide; choose another name, such as 'extra_repr_'"),
            ("DSL013", "Layer name '_modules' cannot be used because it is an attribute of PyTorch's nn.Module, which the PyTorch twin's module would hide; choose another name, such as '_modules_'"),
            ("DSL013", "Layer name '\uFB01' cannot be used because it is not a name in both C# and Python (letters, digits and '_', not starting with a digit; Python reads identifiers NFKC-normalised); choose another name, such as 'fi'"),
            ("DSL013", "Layer name 'var' cannot be used because it is a C# keyword; choose another name, such as 'var_'"),
            ("DSL013", "Layer name 'input_shape' cannot be used because it is an attribute of PyTorch's nn.Module, which the PyTorch twin's module would hide; choose another name, such as 'input_shape_'"));

        [Fact]
        public void DSL014_UnsupportedDeclarations_AtTheClassName() => Verify(
            "[Input(1, 8, 8)] [Flatten] public partial class [|Generic|]<T>;\n"
            + "[Input(1, 8, 8)] [Flatten] public static partial class [|Static|];\n"
            + "[Input(1, 8, 8)] [Flatten] public partial record [|Rec|];\n"
            + "public class Base { }\n[Input(1, 8, 8)] [Flatten] public partial class [|Derived|] : Base;\n"
            + "public class Outer { [Input(1, 8, 8)] [Flatten] public partial class [|Inner|]; }",
            ("DSL014", "Network class 'Generic' is not supported: a network class cannot be generic: remove its type parameters"),
            ("DSL014", "Network class 'Static' is not supported: a network class cannot be static or abstract"),
            ("DSL014", "Network class 'Rec' is not supported: a network must be a class, not a record: records cannot derive from TorchSharp's Module"),
            ("DSL014", "Network class 'Derived' is not supported: it derives from Nets.Base; remove the base class, the generated part derives from Module<Tensor, Tensor>"),
            ("DSL014", "Network class 'Inner' is not supported: it is nested in Outer, which must be a partial, non-generic class or struct"));

        [Fact]
        public void EveryProblemCode_HasADescriptor_InOrder_WithAHelpPage()
        {
            var codes = (ProblemCode[])Enum.GetValues(typeof(ProblemCode));
            Assert.Equal(codes.Length, Descriptors.All.Length);
            int previous = 0;
            for (int i = 0; i < codes.Length; i++)
            {
                var descriptor = Descriptors.For(codes[i]);
                Assert.NotNull(descriptor);
                Assert.Same(Descriptors.All[i], descriptor);
                // IDs rise with the codes; numbers may be left free (reserved for rules added in parallel), never reused.
                Assert.Matches("^DSL[0-9]{3}$", descriptor!.Id);
                int number = int.Parse(descriptor.Id.Substring(3), CultureInfo.InvariantCulture);
                Assert.True(number > previous, descriptor.Id + " does not follow DSL" + previous.ToString("000", CultureInfo.InvariantCulture));
                if (i == 0) Assert.Equal(1, number);
                previous = number;
                Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
                // No invented web address: the description names the page, which exists.
                Assert.Equal("", descriptor.HelpLinkUri);
                Assert.Contains(Descriptors.Page(descriptor.Id), descriptor.Description.ToString(CultureInfo.InvariantCulture));
                Assert.True(File.Exists(Path.Combine(DiagnosticHarness.RepoRoot, "docs", "diagnostics", descriptor.Id + ".md")), descriptor.Id + " has no page");
                Assert.Contains(descriptor.Category, new[] { Descriptors.ShapesCategory, Descriptors.DeclarationCategory });
            }
        }

        [Fact]
        public void SampleNetworks_HaveNoDiagnostics()
        {
            // Every file of the sample that declares networks or blocks.
            var sources = Directory.GetFiles(Path.Combine(DiagnosticHarness.RepoRoot, "samples", "ResNet"), "*.cs")
                .Select(File.ReadAllText).Where(t => t.Contains("[Input(") || t.Contains("[Block(")).ToArray();
            var compilation = DiagnosticHarness.Compile(sources);
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            Assert.Empty(DiagnosticHarness.AnalyzeAll(compilation).Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal) || d.Id == "AD0001"));
            // Every declared network is in the sample's catalogue (so summary, train, export and the iterate-all tests see it).
            int networks = compilation.SyntaxTrees.Sum(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
                .Count(c => c.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "Input")));
            Assert.Equal(ResNetSample.ModelCatalog.All.Count, networks);
        }

        [Fact]
        public void AttributesWithCompileErrors_AreLeftToTheCompiler()
        {
            var compilation = DiagnosticHarness.Compile(Usings + "[Input(1, 8)] [Conv2d(4)] [Linear(\"a\")] [Missing] public partial class Broken;\n[Input(1, 8, 8)] [Conv2d(4, 3, Stride = \"x\")] public partial class Broken2;");
            Assert.NotEmpty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var all = DiagnosticHarness.AnalyzeAll(compilation);
            Assert.DoesNotContain(all, d => d.Id == "AD0001" || d.Id.StartsWith("DSL", StringComparison.Ordinal));
        }

        [Fact]
        public void DSL008_ConvTranspose2d_OutputPaddingAndOutputBelowOne_AtTheArgument() => Verify(
            "[Input(1, 8, 8)] [ConvTranspose2d(4, 3, Stride = 2, [|OutputPadding = 2|])]\npublic partial class Net;\n"
            + "[Input(1, 2, 2)] [ConvTranspose2d(4, 1, [|Padding = 2|])]\npublic partial class Net2;\n"
            + "[Input(1, 8, 8)] [ConvTranspose2d([|0|], 2, [|Stride = 0|], Dilation = 2, OutputPadding = 1)]\npublic partial class Net3;",
            ("DSL008", "'upconv1' has OutputPadding = 2, but it must be smaller than Stride (2) or Dilation (1)"),
            ("DSL008", "'upconv1' has Padding = 2, but it must be at most 0, so that its 2x2 input gives an output of at least 1x1 (it gives -2x-2)"),
            ("DSL008", "'upconv1' has outChannels = 0, but it must be at least 1"),
            ("DSL008", "'upconv1' has Stride = 0, but it must be at least 1"));

        [Fact]
        public void DSL006_ConvTranspose2d_GroupsDoNotDivide_AtGroups() => Verify(
            "[Input(4, 8, 8)] [ConvTranspose2d(6, 2, Stride = 2, [|Groups = 4|])]\npublic partial class Net;",
            ("DSL006", "'upconv1' has Groups = 4, which must divide both its input channels (4) and its output channels (6); choose a common divisor such as Groups = 1"));

        [Fact]
        public void DSL008_Upsample_ScaleAndAlignCorners_AtTheArgument() => Verify(
            "[Input(1, 3, 3)] [Upsample([|0.25|])]\npublic partial class Net;\n"
            + "[Input(1, 3, 3)] [Upsample([|0|])]\npublic partial class Net2;\n"
            + "[Input(1, 3, 3)] [Upsample(Name = \"up\", [|AlignCorners = true|])]\npublic partial class Net3;",
            ("DSL008", "'upsample1' has scaleFactor = 0.25, but it must be large enough that its 3x3 input gives an output of at least 1x1 (it gives 0x0)"),
            ("DSL008", "'upsample1' has scaleFactor = 0, but it must be greater than 0"),
            ("DSL008", "'up' has AlignCorners = true, but it must be false with UpsampleMode.Nearest (only interpolating modes align corners)"));

        [Fact]
        public void DSL004_UpsamplingLayersNeedImages() => Verify(
            "[Input(1, 8, 8)] [Flatten] [[|Upsample|]] [ConvTranspose2d(2, 2)]\npublic partial class Net;\n"
            + "[Input(1, 8, 8)] [Flatten] [[|ConvTranspose2d(2, 2)|]]\npublic partial class Net2;",
            ("DSL004", "'upsample1' (Upsample) needs image input (channels, height, width) but receives the flat shape [64]; move it before the Flatten, or remove the Flatten"),
            ("DSL004", "'upconv1' (ConvTranspose2d) needs image input (channels, height, width) but receives the flat shape [64]; move it before the Flatten, or remove the Flatten"));

        [Fact]
        public void ClassesWithoutDslAttributes_AreIgnored() => Verify(
            "[System.Obsolete] public class Plain { }\npublic partial class Other<T> : System.Exception { }");
    }
}
