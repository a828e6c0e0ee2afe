using System;
using System.IO;
using ResNetSample;

namespace Dsl.Generator.Tests
{
    /// <summary>The sample's command line, run through its real entry point.</summary>
    [Collection("Console")]
    public class SampleCommandLineTests
    {
        internal static (int ExitCode, string Output, string Error) RunSample(params string[] args)
        {
            var entry = typeof(ModelCatalog).Assembly.EntryPoint!;
            var (oldOut, oldError) = (Console.Out, Console.Error);
            var (output, error) = (new StringWriter(), new StringWriter());
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                var code = (int)entry.Invoke(null, new object[] { args })!;
                return (code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }

        [Fact]
        public void Summary_d2l_resnet18_prints_the_chapter_lines_and_the_parameter_count()
        {
            var (code, output, _) = RunSample("summary", "d2l-resnet18");
            Assert.Equal(0, code);
            var lines = output.Split('\n');
            Assert.Equal("stem    Stem            output shape: [1, 64, 24, 24]", lines[0]);
            Assert.Equal("stage1  ResidualStage   output shape: [1, 64, 24, 24]", lines[1]);
            Assert.Equal("stage2  ResidualStage   output shape: [1, 128, 12, 12]", lines[2]);
            Assert.Equal("stage3  ResidualStage   output shape: [1, 256, 6, 6]", lines[3]);
            Assert.Equal("stage4  ResidualStage   output shape: [1, 512, 3, 3]", lines[4]);
            Assert.Equal("head    ClassifierHead  output shape: [1, 10]", lines[5]);
            Assert.Contains("Total params: 11,178,378", output);
        }

        [Fact]
        public void Summary_of_an_unknown_model_names_the_known_ones()
        {
            var (code, _, error) = RunSample("summary", "resnet-9000");
            Assert.Equal(2, code);
            Assert.Contains("Unknown model 'resnet-9000'", error);
            Assert.Contains("d2l-resnet18", error);
        }
    }
}
