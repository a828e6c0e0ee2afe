
namespace Dsl.Generator.Model
{
    /// <summary>Options shared by the ResNet-family blocks where the published sources differ (<c>ResidualBlockOptionsAttribute</c>).</summary>
    internal sealed record BlockOptions(bool Bias, bool ProjectionBatchNorm, bool ZeroInitLastBatchNorm)
    {
        /// <summary>Reads the options; the defaults differ by kind, as the attributes' constructors set them.</summary>
        public static BlockOptions Read(AttributeReader a, bool bias, bool projectionBatchNorm) =>
            new(a.Named("Bias", bias), a.Named("ProjectionBatchNorm", projectionBatchNorm), a.Named("ZeroInitLastBatchNorm", false));
    }
}
