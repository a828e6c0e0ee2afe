namespace Dsl.Generator.Model
{
    // What the user declared, as plain equatable values: the parser's output and the
    // input of shape inference and emission. No Roslyn types live here.

    /// <summary>One layer attribute, in declaration order. <see cref="Name"/> is the explicit name or null.</summary>
    internal abstract record LayerSpec(string? Name)
    {
        /// <summary>The attribute name as the user writes it, e.g. "Conv2d".</summary>
        public abstract string Kind { get; }

        /// <summary>Prefix of automatic names: conv -> conv1, conv2...</summary>
        public abstract string NamePrefix { get; }

        /// <summary>Whether the automatic name is numbered (conv1) or plain (stem, head).</summary>
        public virtual bool NumberedName => true;
    }

    internal sealed record Conv2dSpec(string? Name, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Conv2d";
        public override string NamePrefix => "conv";
    }

    internal sealed record BatchNorm2dSpec(string? Name, double Eps, double Momentum) : LayerSpec(Name)
    {
        public override string Kind => "BatchNorm2d";
        public override string NamePrefix => "bn";
    }

    internal enum Activation { ReLU, Sigmoid, Tanh }

    internal sealed record ActivationSpec(string? Name, Activation Function) : LayerSpec(Name)
    {
        public override string Kind => Function.ToString();
        public override string NamePrefix => Function.ToString().ToLowerInvariant();
    }

    internal enum PoolKind { Max, Avg }

    /// <summary>MaxPool2d / AvgPool2d. <see cref="Stride"/> 0 means "equal to the kernel".</summary>
    internal sealed record Pool2dSpec(string? Name, PoolKind Pool, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode) : LayerSpec(Name)
    {
        public override string Kind => Pool == PoolKind.Max ? "MaxPool2d" : "AvgPool2d";
        public override string NamePrefix => Pool == PoolKind.Max ? "maxpool" : "avgpool";
        public int EffectiveStride => Stride == 0 ? Kernel : Stride;
    }

    internal sealed record AdaptiveAvgPool2dSpec(string? Name, int OutputSize) : LayerSpec(Name)
    {
        public override string Kind => "AdaptiveAvgPool2d";
        public override string NamePrefix => "gap";
    }

    internal sealed record FlattenSpec(string? Name) : LayerSpec(Name)
    {
        public override string Kind => "Flatten";
        public override string NamePrefix => "flatten";
    }

    /// <summary>Linear; <see cref="InFeatures"/> 0 means inferred.</summary>
    internal sealed record LinearSpec(string? Name, int OutFeatures, int InFeatures, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Linear";
        public override string NamePrefix => "fc";
    }

    internal sealed record DropoutSpec(string? Name, double Probability) : LayerSpec(Name)
    {
        public override string Kind => "Dropout";
        public override string NamePrefix => "dropout";
    }

    internal sealed record StemSpec(string? Name, int Channels, int Kernel, int Stride, bool MaxPool, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Stem";
        public override string NamePrefix => "stem";
        public override bool NumberedName => false;
    }

    internal sealed record ResidualSpec(string? Name, int Channels, bool Use1x1Conv, int Stride, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "Residual";
        public override string NamePrefix => "block";
    }

    internal sealed record ResidualStageSpec(string? Name, int Blocks, int Channels, bool Downsample, bool Bias) : LayerSpec(Name)
    {
        public override string Kind => "ResidualStage";
        public override string NamePrefix => "stage";
    }

    internal sealed record ClassifierHeadSpec(string? Name, int Classes) : LayerSpec(Name)
    {
        public override string Kind => "ClassifierHead";
        public override string NamePrefix => "head";
        public override bool NumberedName => false;
    }

    /// <summary>Options shared by the ResNet-family blocks where the sources differ.</summary>
    internal sealed record BlockOptions(bool Bias, bool ProjectionBatchNorm, bool ZeroInitLastBatchNorm);

    /// <summary>torchvision BasicBlock stage.</summary>
    internal sealed record BasicStageSpec(string? Name, int Blocks, int Channels, int Stride, BlockOptions Options) : LayerSpec(Name)
    {
        public override string Kind => "BasicStage";
        public override string NamePrefix => "stage";
    }

    /// <summary>torchvision Bottleneck stage (ResNet-50+, ResNeXt); Groups is the number of groups.</summary>
    internal sealed record BottleneckStageSpec(string? Name, int Blocks, int Planes, int Stride, int Groups, int BaseWidth, int Expansion, bool StrideOnFirst1x1, BlockOptions Options) : LayerSpec(Name)
    {
        public override string Kind => "BottleneckStage";
        public override string NamePrefix => "stage";
    }

    /// <summary>Pre-activation stage (He et al. 2016), basic or bottleneck.</summary>
    internal sealed record PreActStageSpec(string? Name, int Blocks, int Planes, int Stride, bool Bottleneck, int Groups, int BaseWidth, BlockOptions Options) : LayerSpec(Name)
    {
        public override string Kind => "PreActStage";
        public override string NamePrefix => "stage";
    }

    /// <summary>D2L ResNeXtBlock; GroupWidth is channels per group (D2L's <c>groups</c>).</summary>
    internal sealed record ResNeXtBlockSpec(string? Name, int Channels, int GroupWidth, double BottleneckMultiplier, bool Use1x1Conv, int Stride, BlockOptions Options) : LayerSpec(Name)
    {
        public override string Kind => "ResNeXtBlock";
        public override string NamePrefix => "block";
    }

    /// <summary>Module naming convention of a network (mirrors <c>Dsl.NamingConvention</c>).</summary>
    internal enum Naming { D2L = 0, TorchVision = 1 }

    /// <summary>A type that contains the network class (for nested declarations).</summary>
    internal sealed record ContainingType(string Keyword, string Name);

    /// <summary>
    /// One network declaration: where it lives and its layers. <see cref="Layers"/> holds
    /// null-free specs; a layer the parser could not read is recorded as a problem instead.
    /// </summary>
    internal sealed record NetworkSpec(
        string? Namespace,
        EquatableArray<ContainingType> ContainingTypes,
        string ClassName,
        string Accessibility,
        int InputChannels,
        int InputHeight,
        int InputWidth,
        EquatableArray<LayerSpec> Layers,
        Naming Naming = Naming.D2L)
    {
        public string FullName => (Namespace is null ? "" : Namespace + ".")
            + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + ".")) + ClassName;
    }
}
