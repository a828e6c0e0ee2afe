using System;
using System.IO;
using System.Linq;
using Dsl.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Tests
{
    /// <summary>The ONNX Runtime predictor's two APIs (tensors, float arrays) and its input check.</summary>
    public class PredictorTests
    {
        [Fact]
        public void A_model_file_and_the_float_array_api_give_the_tensor_api_logits()
        {
            using var net = Networks.Create("ResNetMini");
            string path = Path.Combine(Path.GetTempPath(), "dsl-onnx-" + Guid.NewGuid().ToString("N") + ".onnx");
            try
            {
                ((IDeclaredNetwork)net).ExportOnnx(path);
                using var fromMemory = OnnxPredictor.For((IDeclaredNetwork)net);
                using var fromFile = new OnnxPredictor(path, threads: 1);
                torch.manual_seed(3);
                using var x = torch.randn(3, 1, 28, 28);

                using var logits = fromMemory.call(x);
                float[] flat = fromFile.Predict(x.data<float>().ToArray(), batch: 3);

                Assert.Equal(new long[] { 1, 28, 28 }, fromFile.InputShape);
                Assert.Equal(new long[] { 3, 10 }, logits.shape);
                Assert.Equal(logits.data<float>().ToArray(), flat);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void A_model_with_several_outputs_returns_the_main_one_and_all_by_name_and_needs_the_metadata_naming_it()
        {
            using var net = Networks.Create("FcnAuxMini");
            var model = OnnxExporter.Build(Dsl.Runtime.Graph.NetworkGraph.Of((IDeclaredNetwork)net), net.state_dict());
            Assert.Equal("out", model.MetadataProps.Single(p => p.Key == OnnxExporter.MainOutputKey).Value);
            using var predictor = new OnnxPredictor(Google.Protobuf.MessageExtensions.ToByteArray(model));
            Assert.Equal(new[] { "aux", "out" }, predictor.OutputNames);
            torch.manual_seed(4);
            using var x = torch.randn(2, 1, 32, 32);
            var outputs = predictor.Outputs(x);
            using var main = predictor.call(x);
            Assert.Equal(outputs["out"].data<float>().ToArray(), main.data<float>().ToArray());
            Assert.NotEqual(outputs["aux"].data<float>().ToArray(), main.data<float>().ToArray());

            // Without the entry no output can be chosen: refused, naming the outputs and what is missing.
            model.MetadataProps.Remove(model.MetadataProps.Single(p => p.Key == OnnxExporter.MainOutputKey));
            var e = Assert.Throws<ArgumentException>(() => new OnnxPredictor(Google.Protobuf.MessageExtensions.ToByteArray(model)));
            Assert.Contains("1 inputs and 2 outputs (aux, out) and no 'main_output' metadata naming the one to return", e.Message);
        }

        [Fact]
        public void Images_of_another_shape_are_rejected_with_the_expected_shape()
        {
            using var net = Networks.Create("ResNetMini");
            using var onnx = OnnxPredictor.For((IDeclaredNetwork)net);
            using var x = torch.zeros(2, 1, 32, 32);

            var e = Assert.Throws<ArgumentException>(() => onnx.call(x));
            Assert.Contains("takes input [N, 1, 28, 28]; got [2, 1, 32, 32]", e.Message);

            var f = Assert.Throws<ArgumentException>(() => onnx.Predict(new float[28 * 28], batch: 2));
            Assert.Contains("2 image(s) of shape [1, 28, 28]", f.Message);
        }
    }
}
