using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Dsl.Runtime.Graph;
using Dsl.Runtime.Interop;
using Dsl.Runtime.Tests.PyTorch;
using Dsl.Runtime.Training;
using ResNetSample;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>The channels-last memory format: it holds through a convolutional network, and changes no number a user sees.</summary>
    public sealed class ChannelsLastTests
    {
        private readonly ITestOutputHelper _output;

        public ChannelsLastTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void Of_keeps_shape_and_values_and_lays_channels_innermost()
        {
            using var x = torch.arange(2 * 3 * 4 * 5, ScalarType.Float32).reshape(2, 3, 4, 5);
            using var cl = ChannelsLast.Of(x);
            Assert.Equal(x.shape, cl.shape);
            Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
            Assert.True(ChannelsLast.Is(cl));
            Assert.False(ChannelsLast.Is(x));
            Assert.True(cl.eq(x).all().item<bool>());
        }

        [Theory]
        [InlineData(Precision.Float32)]
        [InlineData(Precision.BFloat16)]
        public void Every_4d_activation_of_a_resnet_stays_channels_last(Precision precision)
        {
            using var model = Seeded(0, () => new D2LResNet18());
            model.train();
            var broken = new List<string>();
            var hooks = new List<Action>();
            foreach (var (name, m) in model.named_modules())
            {
                if (m is not nn.Module<Tensor, Tensor> leaf || m.named_children().Any()) continue;
                var h = leaf.register_forward_hook((_, input, output) =>
                {
                    if (output.dim() == 4 && !ChannelsLast.Is(output)) broken.Add($"{name} ({m.GetType().Name}): input channels-last {ChannelsLast.Is(input)}, output strides [{string.Join(", ", output.stride())}]");
                    return output;
                });
                hooks.Add(h.remove);
            }
            using (ChannelsLast.Enable(model, precision))
            using (var scope = torch.NewDisposeScope())
            {
                var x = torch.rand(2, 1, 96, 96);
                var loss = model.call(x).@float().sum();
                loss.backward();
                // The parameters and their gradients keep the contiguous layout the optimizer and checkpoints expect.
                foreach (var (name, p) in model.named_parameters())
                    if (!p.is_contiguous() || !p.grad!.is_contiguous()) broken.Add($"{name} or its gradient is not contiguous: strides [{string.Join(", ", p.stride())}], [{string.Join(", ", p.grad!.stride())}]");
            }
            foreach (var r in hooks) r();
            foreach (var b in broken) _output.WriteLine(b);
            Assert.Empty(broken);
        }
        /// <summary>
        /// The catalogue's networks channels-last suits (2-d convolutional, no tokens), read from their graphs, up to
        /// 2 G multiply-adds per image: ResNet-50, ResNeXt-50, DenseNet-121 and Inception-v3 take minutes on a small
        /// CPU, and their layers (bottlenecks, grouped and asymmetric convolutions, concatenations) are in the smaller ones.
        /// </summary>
        public static IEnumerable<object[]> ConvolutionalNetworks =>
            ModelCatalog.All.Where(e => ChannelsLast.Suits(NetworkGraph.Of(e.Info)) && e.Info.TotalMultiplyAdds <= 2e9).Select(e => new object[] { e.Name });

        [Fact]
        public void The_plan_picks_the_2d_convolutional_networks_from_their_graphs()
        {
            bool Suits(string name) => ChannelsLast.Suits(NetworkGraph.Of(ModelCatalog.Find(name).Info));
            foreach (var name in new[] { "resnet-mini", "d2l-resnet18", "lenet", "mobilenet_v2", "densenet121", "unet" })
                Assert.True(Suits(name), $"{name} is 2-d convolutional");
            // Tokens (ViT's patches, ConvNeXt's permuted LayerNorm2d), sequences (Conv1d, LSTM) and flat features stay contiguous.
            foreach (var name in new[] { "vit_b_16", "convnext_tiny", "sequence-net", "row-lstm", "mlp", "gpt-mini" })
                Assert.False(Suits(name), $"{name} is not 2-d convolutional");
            // Auto: bf16 on the CPU only; float32 keeps the contiguous layout unless asked.
            using var net = new ResNetMini();
            Assert.True(ChannelsLast.Planned(net, MemoryFormat.Auto, Precision.BFloat16, cuda: false));
            Assert.False(ChannelsLast.Planned(net, MemoryFormat.Auto, Precision.Float32, cuda: false));
            Assert.False(ChannelsLast.Planned(net, MemoryFormat.Auto, Precision.BFloat16, cuda: true));
            Assert.True(ChannelsLast.Planned(net, MemoryFormat.ChannelsLast, Precision.Float32, cuda: false));
            Assert.False(ChannelsLast.Planned(net, MemoryFormat.Contiguous, Precision.BFloat16, cuda: false));
        }

        /// <summary>
        /// Every network the plan runs channels-last computes the same outputs and parameter gradients as contiguous
        /// (eval mode, so dropout draws nothing), within float32 rounding: a layer that depended on the layout (a
        /// <c>view</c> of a 4-d activation) would throw or scramble them.
        /// </summary>
        [Theory]
        [MemberData(nameof(ConvolutionalNetworks))]
        public void A_convolutional_network_computes_the_same_outputs_and_gradients_channels_last(string name)
        {
            var entry = ModelCatalog.Find(name);
            using var net = Seeded(5, entry.Create);
            net.eval();
            using var x = torch.randn(new long[] { 2 }.Concat(entry.Info.InputShape.ToArray()).ToArray());
            (Tensor Out, Dictionary<string, Tensor> Grads) Run()
            {
                net.zero_grad();
                var output = net.call(x);
                output.@float().square().mean().backward();
                return (output.detach().@float(), net.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
            }
            var (expected, expectedGrads) = Run();
            Tensor actual;
            Dictionary<string, Tensor> actualGrads;
            using (ChannelsLast.Enable(net))
                (actual, actualGrads) = Run();
            Assert.DoesNotContain(net.parameters(), p => !p.is_contiguous() || (p.grad is { } g && !g.is_contiguous()));
            double scale = expected.abs().max().item<float>();
            double diff = (actual - expected).abs().max().item<float>();
            _output.WriteLine($"{name}: largest output {scale:G4}, largest difference {diff:G3}");
            Assert.True(diff <= 1e-4 * scale + 1e-5, $"{name}: channels-last output differs by {diff} (largest {scale})");
            Assert.Equal(expectedGrads.Keys.Order(), actualGrads.Keys.Order());
            // Gradients sum over batch and positions in another order: compared as vectors, relative to their norm.
            foreach (var (key, g) in expectedGrads)
            {
                double gn = g.norm().item<float>(), dn = (actualGrads[key] - g).norm().item<float>();
                Assert.True(dn <= 1e-3 * gn + 1e-7, $"{name}: the gradient of {key} differs by {dn} in norm (its norm {gn})");
            }
        }

        /// <summary>
        /// A checkpoint written during a channels-last step (a callback's) has the bytes of a contiguous one: TorchSharp
        /// refuses to save a tensor that is not contiguous, so the parameters must keep their layout.
        /// </summary>
        [Fact]
        public void A_checkpoint_saved_during_a_channels_last_step_has_the_bytes_of_a_contiguous_one()
        {
            using var net = Seeded(1, () => new ResNetMini());
            net.eval(); // batch norm's running statistics stay as they are
            byte[] contiguous = Trainer.SaveModelState(net);
            byte[]? during = null;
            var hook = net.head.register_forward_hook((_, _, output) =>
            {
                during = Trainer.SaveModelState(net);
                return output;
            });
            using (ChannelsLast.Enable(net))
            using (var x = torch.rand(2, 1, 28, 28))
                net.call(x).sum().backward();
            hook.remove();
            Assert.Equal(contiguous, during);
        }

        /// <summary>
        /// The trainer channels-last against contiguous, resnet-mini on the Fashion-MNIST subset from one seed, 60 steps.
        /// Stated tolerance: the first step's loss within 1e-4 (float32; 0.005 in bf16, 2e-4 measured), each 10-step mean within
        /// 0.05 + 10% (as the bf16-against-float32 test). The runs round differently in the convolution kernels from
        /// the first step on, and SGD amplifies it: single float32 steps drift apart by up to 0.15 after 60 steps (0.10-0.14 measured),
        /// as two contiguous runs with different kernels would.
        /// </summary>
        [SkippableTheory]
        [InlineData(Precision.Float32)]
        [InlineData(Precision.BFloat16)]
        public void Training_channels_last_follows_the_contiguous_runs_loss(Precision precision)
        {
            if (precision != Precision.Float32)
            {
                try { PrecisionSupport.Check(precision, cuda: false, PrecisionSupport.CpuFlags()); }
                catch (PrecisionNotSupportedException e) { Skip.If(true, e.Message); }
            }
            string folder = TestData.TempDir("channels-last-training");
            try
            {
                var (all, allTest) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
                var train = all.Subset(Enumerable.Range(0, 1920).ToList());
                var test = allTest.Subset(Enumerable.Range(0, 256).ToList());
                List<double> Run(MemoryFormat format)
                {
                    // Both runs start from the same weights: the generator is seeded here, not by whichever test ran before.
                    using var model = Seeded(42, () => new ResNetMini());
                    var losses = new StepLosses();
                    Trainer.Fit(model, train, test, new TrainOptions
                    {
                        Epochs = 1,
                        BatchSize = 32,
                        Device = DeviceSetup.Create("cpu", seed: 42),
                        Precision = precision,
                        MemoryFormat = format,
                        OutputDir = Path.Combine(folder, format.ToString()),
                        ReadEveryBatches = 1,
                        Progress = ProgressMode.Silent,
                        Plot = false,
                        Pictures = false,
                        Callbacks = new TrainingCallback[] { losses },
                    });
                    Assert.DoesNotContain(model.parameters(), p => !p.is_contiguous());
                    return losses.Values;
                }
                var a = Run(MemoryFormat.Contiguous);
                var b = Run(MemoryFormat.ChannelsLast);
                Assert.Equal(60, a.Count);
                Assert.Equal(60, b.Count);
                double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
                _output.WriteLine($"{precision}: largest step-loss difference {worst:G3}; first {a[0]:F4} / {b[0]:F4}, last {a[^1]:F4} / {b[^1]:F4}");
                // The first step sees the same weights: its loss differs only by the kernels' rounding.
                Assert.True(Math.Abs(a[0] - b[0]) <= (precision == Precision.Float32 ? 1e-4 : 5e-3), $"first step: channels-last {b[0]}, contiguous {a[0]}");
                for (int w = 0; w < 60; w += 10)
                {
                    double ma = a.Skip(w).Take(10).Average(), mb = b.Skip(w).Take(10).Average();
                    _output.WriteLine($"steps {w + 1}-{w + 10}: contiguous {ma:F4}, channels-last {mb:F4}");
                    Assert.True(Math.Abs(ma - mb) <= 0.05 + 0.10 * ma, $"steps {w + 1}-{w + 10}: channels-last {mb:F4}, contiguous {ma:F4}");
                }
                Assert.True(b.TakeLast(10).Average() < 0.8 * b.Take(10).Average(), "the channels-last run learns");
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }

        /// <summary>
        /// The trainer's channels-last layout (<see cref="ChannelsLastParameters"/>): convolution weights, their
        /// gradients and the optimizer's per-parameter state are re-laid out in place (the same objects, so the optimizer
        /// keeps them), and the model and optimizer state written from it, in the middle of the layout or after it,
        /// have the bytes of the same values laid out contiguously.
        /// </summary>
        [Theory]
        [InlineData(OptimizerKind.Sgd)]
        [InlineData(OptimizerKind.Adam)]
        public void Parameters_laid_out_channels_last_in_place_save_the_bytes_of_the_contiguous_layout(OptimizerKind kind)
        {
            using var net = Seeded(3, () => new ResNetMini());
            net.eval(); // batch norm's running statistics stay as they are
            var parameters = net.parameters().ToArray();
            using var optimizer = kind == OptimizerKind.Sgd ? torch.optim.SGD(parameters, 0.01, momentum: 0.9) : (optim.Optimizer)torch.optim.Adam(parameters, 1e-3);
            using var x = torch.rand(4, 1, 28, 28);
            using var y = torch.tensor(new long[] { 0, 1, 2, 3 });
            void Step()
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.cross_entropy(net.call(x), y).backward();
                optimizer.step();
            }
            byte[] OptimizerBytes()
            {
                using var ms = new MemoryStream();
                using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w);
                return ms.ToArray();
            }
            // The optimizer's 4-d state tensors (SGD's momentum, Adam's moments), read from its state.
            List<Tensor> State4d() => ((TorchSharp.Modules.OptimizerHelper)optimizer).state_dict().State
                .SelectMany(s => s.GetType().GetFields().Where(f => f.FieldType == typeof(Tensor)).Select(f => f.GetValue(s) as Tensor))
                .Where(t => t is not null && t.dim() == 4).Select(t => t!).ToList();
            var weights = parameters.Where(p => p.dim() == 4).ToArray();
            Assert.NotEmpty(weights);

            Step(); // contiguous: the optimizer's state exists, contiguous
            Assert.Equal(weights.Length * (kind == OptimizerKind.Sgd ? 1 : 2), State4d().Count);
            byte[] model0 = Trainer.SaveModelState(net), optimizer0 = OptimizerBytes();

            var layout = ChannelsLastParameters.LayOut(net, optimizer);
            Assert.All(weights, p => Assert.True(ChannelsLast.Is(p) && ChannelsLast.Is(p.grad!), "weight and gradient channels-last"));
            Assert.All(State4d(), t => Assert.True(ChannelsLast.Is(t), "optimizer state channels-last"));
            Assert.Same(weights[0], net.parameters().First(p => p.dim() == 4)); // the same parameter objects
            using (layout.Contiguous())
            {
                Assert.Equal(model0, Trainer.SaveModelState(net));
                Assert.Equal(optimizer0, OptimizerBytes());
            }
            Assert.All(weights, p => Assert.True(ChannelsLast.Is(p), "channels-last again after the contiguous save"));

            // A step in the layout: no weight copies, the gradients and the state stay channels-last.
            using (ChannelsLast.Enable(net)) Step();
            Assert.All(weights, p => Assert.True(ChannelsLast.Is(p) && ChannelsLast.Is(p.grad!), "weight and gradient channels-last after a step"));
            Assert.All(State4d(), t => Assert.True(ChannelsLast.Is(t), "optimizer state channels-last after a step"));
            byte[] model1, optimizer1;
            using (layout.Contiguous())
                (model1, optimizer1) = (Trainer.SaveModelState(net), OptimizerBytes());
            Assert.NotEqual(model0, model1); // the step changed the weights

            layout.Dispose();
            Assert.All(parameters, p => Assert.True(p.is_contiguous() && (p.grad is null || p.grad.is_contiguous()), "contiguous after the layout"));
            Assert.All(State4d(), t => Assert.True(t.is_contiguous(), "optimizer state contiguous after the layout"));
            Assert.Equal(model1, Trainer.SaveModelState(net));
            Assert.Equal(optimizer1, OptimizerBytes());
        }

        /// <summary>
        /// A channels-last run stopped after one epoch and resumed, into a model built from another seed, ends with the
        /// bytes of the uninterrupted run's model and optimizer state: the checkpoint holds everything (contiguously) and
        /// the resumed run re-lays out what it loads. During the epoch the convolution weights are channels-last, and a
        /// checkpoint taken between batches works.
        /// </summary>
        [Theory]
        [InlineData(OptimizerKind.Sgd)]
        [InlineData(OptimizerKind.Adam)]
        public void A_channels_last_run_resumed_from_its_checkpoint_ends_with_the_uninterrupted_runs_state(OptimizerKind optimizer)
        {
            string folder = TestData.TempDir("channels-last-resume");
            try
            {
                var (all, allTest) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
                var train = all.Subset(Enumerable.Range(0, 192).ToList());
                var test = allTest.Subset(Enumerable.Range(0, 64).ToList());
                TrainOptions Options(string dir, TrainingCallback probe) => new()
                {
                    Epochs = 2,
                    BatchSize = 32,
                    Optimizer = optimizer,
                    LearningRate = optimizer == OptimizerKind.Sgd ? 0.05 : 1e-3,
                    Device = DeviceSetup.Create("cpu", seed: 7),
                    MemoryFormat = MemoryFormat.ChannelsLast,
                    OutputDir = Path.Combine(folder, dir),
                    Progress = ProgressMode.Silent,
                    Plot = false,
                    Pictures = false,
                    ReadEveryBatches = 2,
                    Callbacks = new[] { probe },
                };
                var straightProbe = new LayoutProbe();
                using (var model = Seeded(1, () => new ResNetMini()))
                    Trainer.Fit(model, train, test, Options("straight", straightProbe));
                var firstProbe = new LayoutProbe();
                using (var model = Seeded(1, () => new ResNetMini()))
                    Assert.False(Trainer.Fit(model, train, test, Options("resumed", firstProbe) with { StopAfterEpoch = 1 }).Completed);
                FitResult resumed;
                var resumedProbe = new LayoutProbe();
                using (var model = Seeded(99, () => new ResNetMini())) // other weights: everything must come from the checkpoint
                {
                    resumed = Trainer.Resume(model, train, test, Options("resumed", resumedProbe));
                    Assert.DoesNotContain(model.parameters(), p => !p.is_contiguous());
                }
                Assert.True(resumed.Completed);
                Assert.Equal(1, resumed.ResumedFromEpoch);
                foreach (var probe in new[] { straightProbe, firstProbe, resumedProbe })
                {
                    Assert.True(probe.Batches > 0);
                    Assert.Equal(probe.Batches, probe.ChannelsLastBatches);
                    Assert.Equal(probe.Batches, probe.Captures);
                }
                var a = CheckpointFile.Load(Path.Combine(folder, "straight", CheckpointFile.FileName));
                var b = CheckpointFile.Load(Path.Combine(folder, "resumed", CheckpointFile.FileName));
                Assert.Equal(2, b.Header.Epoch);
                Assert.Equal(a.ModelState, b.ModelState);
                Assert.Equal(a.OptimizerState, b.OptimizerState);
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }

        /// <summary>The network <paramref name="create"/> makes right after torch is seeded with <paramref name="seed"/>: the same weights on every run.</summary>
        private static T Seeded<T>(long seed, Func<T> create)
        {
            torch.manual_seed(seed);
            return create();
        }

        /// <summary>After each batch: whether every 4-d parameter is channels-last, and a checkpoint taken there.</summary>
        private sealed class LayoutProbe : TrainingCallback
        {
            public int Batches, ChannelsLastBatches, Captures;
            public override void OnBatchEnd(TrainingContext context, BatchProgress progress)
            {
                Batches++;
                var weights = context.Model.parameters().Where(p => p.dim() == 4).ToList();
                if (weights.Count > 0 && weights.All(ChannelsLast.Is)) ChannelsLastBatches++;
                var data = context.CaptureCheckpoint();
                if (data.ModelState.Length > 0 && data.OptimizerState.Length > 0) Captures++;
                if (!weights.All(ChannelsLast.Is)) ChannelsLastBatches = -1000; // the capture must put the layout back
            }
        }

        [Fact]
        public void A_memory_format_that_does_not_exist_is_refused_naming_the_option_and_the_choices()
        {
            var e = Assert.Throws<InvalidOptionException>(() => new TrainOptions { MemoryFormat = (MemoryFormat)7 }.Validate());
            Assert.Contains("MemoryFormat", e.Message);
            Assert.Contains("Auto, Contiguous or ChannelsLast", e.Message);
            string dir = Path.Combine(TestData.TempDir("cli-memory-format"), "run");
            var (code, _, error) = CommandLineTests.Cli("train", "--model", "lenet", "--memory-format", "nhwc", "--epochs", "1", "--out", dir);
            Assert.Equal(2, code);
            Assert.StartsWith("error: --memory-format must be auto, contiguous, channels-last; got 'nhwc'.", error);
            Assert.False(Directory.Exists(dir));
        }

        /// <summary>The loss of every step, from the epoch's running mean the trainer reports after each batch.</summary>
        private sealed class StepLosses : TrainingCallback
        {
            private double _sum;
            public List<double> Values { get; } = new();
            public override void OnEpochStart(TrainingContext context) => _sum = 0;
            public override void OnBatchEnd(TrainingContext context, BatchProgress progress)
            {
                double total = progress.Loss * progress.Batch;
                Values.Add(total - _sum);
                _sum = total;
            }
        }

        /// <summary>
        /// <c>train --memory-format channels-last</c> says so, and its checkpoint, exported with the PyTorch twin, gives
        /// the trained network's logits in PyTorch.
        /// </summary>
        [SkippableFact]
        public void A_channels_last_runs_checkpoint_gives_its_logits_in_the_pytorch_twin()
        {
            string dir = TestData.TempDir("channels-last-twin");
            try
            {
                string run = Path.Combine(dir, "run"), twin = Path.Combine(dir, "twin");
                var (code, output, error) = CommandLineTests.Cli("train", "--model", "lenet", "--epochs", "1", "--limit", "128", "--batch-size", "64", "--threads", "1", "--memory-format", "channels-last", "--out", run);
                Assert.True(code == 0, error);
                Assert.Contains("memory format: channels-last (--memory-format channels-last)", output);
                string checkpoint = Path.Combine(run, "checkpoint.ckpt");
                (code, output, error) = CommandLineTests.Cli("export", "lenet", "--format", "pytorch", "--out", twin, "--checkpoint", checkpoint);
                Assert.True(code == 0, error);

                var entry = ModelCatalog.Find("lenet");
                using var net = entry.Create();
                Trainer.LoadWeights(net, checkpoint);
                net.eval();
                torch.manual_seed(3);
                using var input = torch.rand(new long[] { 4 }.Concat(entry.Info.InputShape.ToArray()).ToArray());
                using var expected = net.call(input).detach();
                using (var fresh = entry.Create())
                using (var freshLogits = fresh.call(input).detach())
                    Assert.True((freshLogits - expected).abs().max().item<float>() > 1e-3, "the checkpoint's logits equal a fresh network's: the test would not see unloaded weights");

                Skip.If(PythonTorch.MissingReason is not null, PythonTorch.MissingReason);
                string inputFile = Path.Combine(dir, "input.safetensors"), logitsFile = Path.Combine(dir, "logits.safetensors");
                PyTorchCheckpoint.SaveTensors(new Dictionary<string, Tensor> { ["input"] = input }, inputFile);
                var python = PythonTorch.Run(new[] { "-c", PyTorchExportCommandTests.LoadTwinWithWeights, twin, entry.Info.Name, inputFile, logitsFile }, TimeSpan.FromMinutes(2));
                Assert.True(python.ExitCode == 0, python.ToString());
                var theirs = PyTorchCheckpoint.ReadTensors(logitsFile)["logits"];
                Assert.Equal(expected.shape, theirs.shape);
                Assert.True((theirs - expected).abs().max().item<float>() < 1e-4, $"twin logits differ from .NET's by {(theirs - expected).abs().max().item<float>()}");
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
    }
}
