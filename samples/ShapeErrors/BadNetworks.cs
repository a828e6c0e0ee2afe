using Dsl;

// Every declaration below is wrong on purpose: `dotnet build samples/ShapeErrors` fails with one
// diagnostic per rule. The comment above each declaration names the rule and the fix.
namespace ShapeErrors
{
    // DSL001: the third pooling layer gets a 1x1 input and would produce 0x0.
    [Input(1, 4, 4)]
    [MaxPool2d(2)] [MaxPool2d(2)] [MaxPool2d(2)]
    public partial class OutputBelowOne;

    // DSL002: a 7x7 kernel on a 4x4 input without padding.
    [Input(1, 4, 4)]
    [Conv2d(8, 7)]
    public partial class KernelTooLarge;

    // DSL003: 6 x 24 x 24 = 3456 features arrive, not 500.
    [Input(1, 28, 28)]
    [Conv2d(6, 5)] [Flatten]
    [Linear(10, InFeatures = 500)]
    public partial class WrongInFeatures;

    // DSL004: a convolution after Flatten.
    [Input(1, 8, 8)]
    [Flatten] [Conv2d(4, 3)]
    public partial class ConvAfterFlatten;

    // DSL005: Linear on an image without Flatten.
    [Input(1, 8, 8)]
    [Linear(10)]
    public partial class LinearWithoutFlatten;

    // DSL006: 2 groups do not divide 3 input channels.
    [Input(3, 8, 8)]
    [Conv2d(8, 3, Groups = 2)]
    public partial class BadGroups;

    // DSL007: the stage changes 16 to 32 channels without Downsample.
    [Input(1, 28, 28)]
    [Stem(16, Kernel = 3, Stride = 1, MaxPool = false)]
    [ResidualStage(1, 32, Downsample = false)]
    public partial class StageWithoutDownsample;

    // DSL008: a dropout probability of 1.5.
    [Input(1, 8, 8)]
    [Flatten] [Dropout(1.5)] [Linear(4)]
    public partial class BadDropout;

    // DSL009: layers but no [Input].
    [Conv2d(4, 3)] [ReLU]
    public partial class NoInput;

    // DSL010: not partial.
    [Input(1, 8, 8)]
    [Flatten] [Linear(4)]
    public class NotPartial;

    // DSL011: a layer on another partial declaration than [Input].
    [Input(1, 8, 8)]
    [Flatten]
    public partial class SplitLayers;

    [Linear(4)]
    public partial class SplitLayers;

    // DSL012: a layer after the classifier head.
    [Input(1, 8, 8)]
    [ClassifierHead(10)] [Linear(5)]
    public partial class LayerAfterHead;

    // DSL013: a layer named like a member of Module.
    [Input(1, 8, 8)]
    [ReLU(Name = "forward")]
    public partial class ReservedName;

    // DSL014: a generic network class.
    [Input(1, 8, 8)]
    [Flatten]
    public partial class GenericNet<T>;

    // DSL015: a member the generated class also declares (the field of layer fc1); rename the member or the layer.
    [Input(1, 8, 8)]
    [Flatten] [Linear(10)]
    public partial class MemberClash
    {
        public int fc1;
    }

    // DSL017: an attribute deriving from LayerAttribute that is not a layer kind; declare it as a [Block] instead.
    [Input(1, 8, 8)]
    [Swish] [Flatten]
    public partial class UnknownLayer;

    // DSL018: the use passes three values; the block takes two parameters.
    [Input(3, 32, 32)]
    [Use<ConvBN>(64, 2, 1)]
    public partial class TooManyBlockArguments;

    // DSL019: the block adds its 32-channel body to its 16-channel input.
    [Input(16, 8, 8)]
    [Use<Residual3x3>(32)]
    public partial class MergeMismatch;

    // DSL020: a custom layer that is not a TorchSharp module and has no parameterless constructor.
    [Input(8, 16)]
    [Custom<Mixer>]
    [Flatten] [Linear(4)]
    public partial class BadCustomLayer;

    // DSL021: an initialisation rule for Linear layers in a network that has none.
    [Input(1, 28, 28)]
    [Init("Linear", InitScheme.Normal, Std = 0.01)]
    [Conv2d(8, 3)] [BatchNorm2d] [ReLU]
    public partial class InitMatchesNothing;

    // DSL022: Std is not an argument of Kaiming initialisation (Mode and Nonlinearity are).
    [Input(1, 28, 28)]
    [Init("Conv2d", InitScheme.KaimingNormal, Std = 0.1)]
    [Conv2d(8, 3)] [ReLU]
    public partial class BadInitArgument;

    // DSL029: an inlined block that uses itself four times per level, 15 levels deep: more work than a declaration may take.
    [Input(2, 8, 8)]
    [Use<Tree>(15)]
    [Flatten] [Linear(2)]
    public partial class TooMuchWork;

    // The blocks and types the declarations above use (correct in themselves).
    public sealed class SwishAttribute : LayerAttribute { }

    public sealed class Mixer
    {
        public Mixer(int width) { }
    }

    [Block("outChannels", "stride = 1")]
    [Conv2d(1, 3, Padding = 1, With = "OutChannels = outChannels; Stride = stride")]
    [BatchNorm2d]
    public partial class ConvBN;

    [Block("channels", Merge = Merge.Add)]
    [Conv2d(1, 3, Padding = 1, With = "OutChannels = channels")]
    public partial class Residual3x3;

    [Block("d", Merge = Merge.Add)]
    [Use<Tree>("d - 1", When = "d > 0", Inline = true)]
    [Use<Tree>("d - 1", When = "d > 0", Inline = true)]
    [Use<Tree>("d - 1", When = "d > 0", Inline = true)]
    [Use<Tree>("d - 1", When = "d > 0", Inline = true)]
    public partial class Tree;

    // DSL040: 5 attention heads do not divide 48 features.
    [Input(16, Vocabulary = 100)]
    [Embedding(48)]
    [MultiheadSelfAttention(5, Causal = true)]
    public partial class BadHeads;

    // DSL041: 64 tokens, a position table of 32 rows.
    [Input(64, Vocabulary = 100)]
    [Embedding(32)]
    [PositionTable(32)]
    public partial class ShortPositionTable;

    // DSL042: a Linear to 64 features tied to an embedding of 100 tokens.
    [Input(16, Vocabulary = 100)]
    [Embedding(32, Name = "wte")]
    [Linear(64, Bias = false, TiedTo = "wte")]
    public partial class BadTie;

    // DSL043: token ids straight into a Linear.
    [Input(16, Vocabulary = 100)]
    [Linear(32)]
    public partial class TokensIntoLinear;
    // DSL050: an output read from a layer that does not exist (a misspelled name).
    [Input(1, 28, 28)]
    [Conv2d(8, 3, Name = "stem")] [Flatten] [Linear(10)]
    [Output("features", From = "steam")]
    public partial class UnknownOutputSource;

    // DSL051: an auxiliary output that the main output needs (it cannot be computed in training mode only).
    [Input(1, 28, 28)]
    [Conv2d(8, 3, Name = "stem")] [Output("early", From = "stem", Auxiliary = true)]
    [Flatten] [Linear(10)]
    public partial class AuxiliaryOnMainPath;

    // DSL052: two inputs' towers of different sizes joined along the channels.
    [Input(3, 32, 32, Name = "image")] [Input(1, 32, 32, Name = "depth")]
    [Conv2d(8, 3, Padding = 1, From = "image", Name = "rgb")]
    [Conv2d(8, 3, Stride = 2, Padding = 1, From = "depth", Name = "d")]
    [Merge(Merge.Concat, "rgb", "d")]
    [Flatten] [Linear(10)]
    public partial class MismatchedTowers;
}
