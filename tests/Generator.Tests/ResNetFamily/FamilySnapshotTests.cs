using System.Linq;
using ApprovalTests;
using ApprovalTests.Namers;
using ApprovalTests.Reporters;
using Xunit;

namespace Dsl.Generator.Tests.ResNetFamily
{
    /// <summary>Snapshots of the generated code of every ResNet-family sample network (approved files next to this file).</summary>
    [UseReporter(typeof(QuietReporter))]
    public sealed class FamilySnapshotTests
    {
        private static readonly string[] Names =
        {
            "ResNet18", "ResNet34", "ResNet50", "ResNeXt50_32x4d", "D2LResNeXt", "ResNeXtBlock32", "PreActResNet18",
        };

        public static TheoryData<string> Networks => new(Names);

        [Theory]
        [MemberData(nameof(Networks))]
        public void GeneratedCode(string network)
        {
            var result = FamilyGeneratorHarness.Run(FamilyGeneratorHarness.SampleSource());
            Assert.Empty(FamilyGeneratorHarness.WarningsAndErrors(result));
            using (ApprovalResults.ForScenario(network))
            {
                Approvals.Verify(result.Generated["ResNetSample." + network + ".g.cs"]);
            }
        }

        [Fact]
        public void SampleFileCompilesWithoutWarnings()
        {
            var result = FamilyGeneratorHarness.Run(FamilyGeneratorHarness.SampleSource());
            Assert.Empty(FamilyGeneratorHarness.WarningsAndErrors(result));
            Assert.Equal(Names.OrderBy(n => n, System.StringComparer.Ordinal), result.Generated.Keys.Select(k => k.Split('.')[1]).OrderBy(n => n, System.StringComparer.Ordinal));
        }
    }
}
