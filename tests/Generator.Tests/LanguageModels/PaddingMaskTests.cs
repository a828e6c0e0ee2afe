using Xunit;

namespace Dsl.Generator.Tests.LanguageModels
{
    /// <summary>The analyzer on <c>MultiheadSelfAttention(PaddingMask = true)</c> (the runtime behaviour: Runtime.Tests' PaddingMaskTests).</summary>
    public sealed class PaddingMaskDiagnosticTests
    {
        [Fact]
        public void PaddingMask_without_one_embedding_with_a_padding_index_is_DSL008_at_the_argument()
        {
            DiagnosticHarness.Verify("""
                using Dsl;
                [Input(10, Vocabulary = 30)]
                [Embedding(16)]
                [MultiheadSelfAttention(2, [|PaddingMask = true|])]
                public partial class Net;
                """,
                ("DSL008", "'attention' has PaddingMask = true, but it must be false unless an Embedding with a PaddingIndex comes before it (declare [Embedding(dim, PaddingIndex = 0)] first), whose padding ids it masks"));
        }
    }
}
