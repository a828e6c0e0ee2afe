namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>A <c>typeof(...)</c> or an array passed to a use is reported as what it is, not read as an expression.</summary>
    public class UseArgumentTests
    {
        private const string Block = "using Dsl;\nnamespace Nets;\n[Block(\"c\")] [Conv2d(\"c\", 1)] public partial class B;\n";

        [Fact]
        public void A_type_argument() => DiagnosticHarness.Verify(
            Block + "[Input(2, 8, 8)] [Use<B>([|typeof(int)|])] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL018", "Block 'B': argument typeof(int) is a type, not a number, true/false or an expression; pass one value per parameter (a block parameter is a number)"));

        [Fact]
        public void An_array_argument() => DiagnosticHarness.Verify(
            Block + "[Input(2, 8, 8)] [Use<B>([|new[] { 1, 2 }|])] [Flatten] [Linear(2)] public partial class Net;\n",
            ("DSL018", "Block 'B': argument { 1, 2 } is an array, not a number, true/false or an expression; pass one value per parameter (a block parameter is a number)"));
    }
}
