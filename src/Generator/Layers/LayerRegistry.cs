using System;
using System.Collections.Generic;
using Dsl.Generator.Model;

namespace Dsl.Generator.Layers
{
    /// <summary>
    /// Every layer attribute the generator knows, by attribute class name: the only list of kinds. Adding a kind is
    /// its attribute class, its record under Layers/ and one line here.
    /// </summary>
    internal static class LayerRegistry
    {
        public static readonly IReadOnlyDictionary<string, Func<AttributeReader, LayerSpec>> Readers = new Dictionary<string, Func<AttributeReader, LayerSpec>>(StringComparer.Ordinal)
        {
            ["Conv2dAttribute"] = Conv2dSpec.Read,
            ["BatchNorm2dAttribute"] = BatchNorm2dSpec.Read,
            ["LayerNormAttribute"] = LayerNormSpec.Read,
            ["ReLUAttribute"] = ActivationSpec.ReadReLU,
            ["SigmoidAttribute"] = ActivationSpec.ReadSigmoid,
            ["TanhAttribute"] = ActivationSpec.ReadTanh,
            ["ReLU6Attribute"] = ActivationSpec.ReadReLU6,
            ["SiLUAttribute"] = ActivationSpec.ReadSiLU,
            ["GELUAttribute"] = ActivationSpec.ReadGELU,
            ["HardswishAttribute"] = ActivationSpec.ReadHardswish,
            ["HardsigmoidAttribute"] = ActivationSpec.ReadHardsigmoid,
            ["LeakyReLUAttribute"] = LeakyReLUSpec.Read,
            ["IdentityAttribute"] = ActivationSpec.ReadIdentity,
            ["MaxPool2dAttribute"] = Pool2dSpec.ReadMax,
            ["AvgPool2dAttribute"] = Pool2dSpec.ReadAvg,
            ["AdaptiveAvgPool2dAttribute"] = AdaptiveAvgPool2dSpec.Read,
            ["FlattenAttribute"] = FlattenSpec.Read,
            ["LinearAttribute"] = LinearSpec.Read,
            ["DropoutAttribute"] = DropoutSpec.Read,
            ["StemAttribute"] = StemSpec.Read,
            ["ResidualAttribute"] = ResidualSpec.Read,
            ["ResidualStageAttribute"] = ResidualStageSpec.Read,
            ["ClassifierHeadAttribute"] = ClassifierHeadSpec.Read,
            ["BasicStageAttribute"] = BasicStageSpec.Read,
            ["BottleneckStageAttribute"] = BottleneckStageSpec.Read,
            ["PreActStageAttribute"] = PreActStageSpec.Read,
            ["ResNeXtBlockAttribute"] = ResNeXtBlockSpec.Read,
            [Blocks.RawAttribute.Use] = Blocks.UseSpec.Read,
            ["Conv1dAttribute"] = Conv1dSpec.Read,
            ["BatchNorm1dAttribute"] = BatchNorm1dSpec.Read,
            ["GroupNormAttribute"] = GroupNormSpec.Read,
            ["SoftmaxAttribute"] = SoftmaxSpec.Read,
            ["MaxPool1dAttribute"] = Pool1dSpec.ReadMax,
            ["AvgPool1dAttribute"] = Pool1dSpec.ReadAvg,
            ["AdaptiveAvgPool1dAttribute"] = AdaptiveAvgPool1dSpec.Read,
            [CustomModule.AttributeName] = CustomSpec.Read,
            ["ConvTranspose2dAttribute"] = ConvTranspose2dSpec.Read,
            ["UpsampleAttribute"] = UpsampleSpec.Read,
            ["PermuteAttribute"] = PermuteSpec.Read,
            ["LayerNorm2dAttribute"] = LayerNorm2dSpec.Read,
            ["StochasticDepthAttribute"] = StochasticDepthSpec.Read,
            ["LayerScaleAttribute"] = LayerScaleSpec.Read,
            ["TokensAttribute"] = TokensSpec.Read,
            ["ClassTokenAttribute"] = ClassTokenSpec.Read,
            ["PositionEmbeddingAttribute"] = PositionEmbeddingSpec.Read,
            ["MultiheadSelfAttentionAttribute"] = MultiheadSelfAttentionSpec.Read,
            ["SelectTokenAttribute"] = SelectTokenSpec.Read,
        };

        /// <summary>The kinds that add a learned tensor to the module holding them (a block using one is a class, not a Sequential).</summary>
        public static readonly ISet<string> HoldsTensors = new HashSet<string>(StringComparer.Ordinal)
        {
            "ClassTokenAttribute",
            "PositionEmbeddingAttribute",
        };
    }
}
