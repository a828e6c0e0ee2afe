using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Dsl.Generator.Tests.Blocks
{
    /// <summary>The pipeline follows blocks: editing a block in another file regenerates the networks that use it, and only those.</summary>
    public class BlockIncrementalTests
    {
        private const string Block = """
            using Dsl;
            namespace Demo;
            /// <summary>A block.</summary>
            [Block("c")]
            [Conv2d("c", 3, Padding = 1)]
            [ReLU]
            public partial class ConvBlock;

            /// <summary>Used by ConvBlock's users only through it.</summary>
            [Block("c")]
            [BatchNorm2d]
            public partial class Norm;
            """;

        private const string Networks = """
            using Dsl;
            namespace Demo;
            [Input(1, 8, 8)] [Use<ConvBlock>(4)] [Flatten] [Linear(2)]
            public partial class UsesBlock;

            [Input(1, 8, 8)] [Conv2d(4, 3)] [Flatten] [Linear(2)]
            public partial class Plain;
            """;

        private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun(string block = Block)
        {
            var compilation = Harness.Compilation(block, Networks);
            var driver = Harness.Driver().RunGenerators(compilation);
            return (driver, compilation);
        }

        private static (GeneratorRunResult Result, GeneratorDriver Driver) Edit(GeneratorDriver driver, CSharpCompilation compilation, string newBlock)
        {
            var tree = compilation.SyntaxTrees.First();
            var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(newBlock)));
            driver = driver.RunGenerators(edited);
            return (driver.GetRunResult().Results.Single(), driver);
        }

        private static string Module(GeneratorRunResult result, string network) =>
            result.GeneratedSources.Single(s => s.HintName == $"Demo.{network}.g.cs").SourceText.ToString();

        [Theory]
        [InlineData("[Conv2d(\"c\", 3, Padding = 1)]", "[Conv2d(\"c\", 1)]", "kernel_size: 1")]
        [InlineData("[Block(\"c\")]", "[Block(\"c\", Merge = Merge.Concat)]", "torch.cat")]
        [InlineData("[ReLU]", "[Sigmoid]", "Sigmoid()")]
        [InlineData("[ReLU]", "[ReLU] [Use<Norm>(\"c\")]", "BatchNorm2d(num_features: 4)")]
        public void Editing_a_block_in_another_file_regenerates_its_users_only(string before, string after, string expected)
        {
            var (driver, compilation) = FirstRun();
            string first = Module(driver.GetRunResult().Results.Single(), "UsesBlock");
            Assert.DoesNotContain(expected, first);

            var (result, _) = Edit(driver, compilation, Block.Replace(before, after));
            string second = Module(result, "UsesBlock");
            Assert.Contains(expected, second);
            var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).OrderBy(r => r).ToArray();
            // UsesBlock is regenerated; Plain, which does not use the block, is not.
            Assert.Equal(new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Modified }.OrderBy(r => r), outputs);
        }

        [Fact]
        public void Editing_a_block_used_only_inside_another_block_regenerates_the_network()
        {
            string withNorm = Block.Replace("[ReLU]\n", "[ReLU]\n[Use<Norm>(\"c\")]\n");
            Assert.NotEqual(Block, withNorm);
            var (driver, compilation) = FirstRun(withNorm);
            Assert.Contains("BatchNorm2d", Module(driver.GetRunResult().Results.Single(), "UsesBlock"));
            var (result, _) = Edit(driver, compilation, withNorm.Replace("[BatchNorm2d]", "[BatchNorm2d] [ReLU6]"));
            Assert.Contains("ReLU6()", Module(result, "UsesBlock"));
        }

        [Fact]
        public void A_comment_in_the_block_file_regenerates_nothing()
        {
            var (driver, compilation) = FirstRun();
            var (result, _) = Edit(driver, compilation, Block.Replace("/// <summary>A block.</summary>", "/// <summary>A block, commented.</summary>"));
            Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }

        [Fact]
        public void A_block_error_introduced_in_another_file_turns_the_user_into_a_stub_and_back()
        {
            var (driver, compilation) = FirstRun();
            var (broken, driver2) = Edit(driver, compilation, Block.Replace("[Block(\"c\")]\n[Conv2d", "[Block(\"c\", \"d\")]\n[Conv2d"));
            Assert.Contains("DSL018", Module(broken, "UsesBlock"));
            Assert.DoesNotContain(broken.GeneratedSources, s => s.HintName == "Demo.UsesBlock.Info.g.cs");
            var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.First(), compilation.SyntaxTrees.First().WithChangedText(SourceText.From(Block)));
            var fixedRun = driver2.RunGenerators(edited).GetRunResult().Results.Single();
            Assert.Contains(fixedRun.GeneratedSources, s => s.HintName == "Demo.UsesBlock.Info.g.cs");
        }
    }
}
