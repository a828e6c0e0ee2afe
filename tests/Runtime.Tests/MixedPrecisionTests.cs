using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Dsl.Runtime.Autocast;
using Dsl.Runtime.Data;
using Dsl.Runtime.Device;
using Dsl.Runtime.Training;
using ResNetSample;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests
{
    /// <summary>
    /// Two runs of resnet-mini on the Fashion-MNIST subset from the same seed, 300 SGD steps (2 epochs of 4,800 images,
    /// batch 32), one in float32 and one in bf16 mixed precision, kept for the tests of <see cref="MixedPrecisionTests"/>.
    /// </summary>
    public sealed class TwoPrecisionRuns : IDisposable
    {
        public const int Images = 4800, Batch = 32, Epochs = 2;

        public TwoPrecisionRuns()
        {
            Folder = TestData.TempDir("mixed-precision");
            var (train, test) = Mnist.Load(TestData.FashionSubset, MnistVariant.FashionMnist);
            Train = train.Subset(Enumerable.Range(0, Images).ToList());
            Test = test;
            Float32 = Run(Precision.Float32);
            // A CPU without bf16 instructions refuses the bf16 run (as the trainer does for users): the tests that need it
            // skip, naming the refusal.
            Bf16Missing = Bf16Refusal();
            BFloat16 = Bf16Missing is null ? Run(Precision.BFloat16) : null;
        }

        private static string? Bf16Refusal()
        {
            try
            {
                PrecisionSupport.Check(Precision.BFloat16, cuda: false, PrecisionSupport.CpuFlags());
                return null;
            }
            catch (PrecisionNotSupportedException e)
            {
                return e.Message;
            }
        }

        public sealed record Result(ResNetMini Model, FitResult Fit, List<double> StepLosses, string Folder);

        private Result Run(Precision precision)
        {
            var setup = DeviceSetup.Create("cpu", seed: 42);
            var model = new ResNetMini();
            var losses = new StepLosses();
            string dir = Path.Combine(Folder, precision.ToString());
            var fit = Trainer.Fit(model, Train, Test, new TrainOptions
            {
                Epochs = Epochs,
                BatchSize = Batch,
                Device = setup,
                Precision = precision,
                OutputDir = dir,
                ReadEveryBatches = 1,
                Progress = ProgressMode.Silent,
                Plot = false,
                Pictures = false,
                Callbacks = new TrainingCallback[] { losses },
            });
            return new Result(model, fit, losses.Values, dir);
        }

        /// <summary>The loss of every step, from the epoch's running mean the trainer reports after each batch.</summary>
        private sealed class StepLosses : TrainingCallback
        {
            private double _sum;
            private int _batches;
            public List<double> Values { get; } = new();
            public override void OnEpochStart(TrainingContext context) => (_sum, _batches) = (0, 0);
            public override void OnBatchEnd(TrainingContext context, BatchProgress progress)
            {
                // Every batch holds 32 images (4,800 divide evenly): the running mean is a mean of batch losses.
                double total = progress.Loss * progress.Batch;
                Values.Add(total - _sum);
                _sum = total;
                _batches = progress.Batch;
            }
        }

        public string Folder { get; }
        public Dataset Train { get; }
        public Dataset Test { get; }
        public Result Float32 { get; }
        /// <summary>The bf16 run; null where <see cref="Bf16Missing"/> says why this CPU cannot run it.</summary>
        public Result? BFloat16 { get; }
        public string? Bf16Missing { get; }

        public void Dispose()
        {
            Float32.Model.Dispose();
            BFloat16?.Model.Dispose();
            if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>bf16 mixed precision: training that follows float32, float32 checkpoints, inference, and the refusals.</summary>
    public sealed class MixedPrecisionTests : IClassFixture<TwoPrecisionRuns>
    {
        /// <summary>
        /// Stated tolerance: each 25-step mean of the bf16 run's loss is within 0.05 + 10% of the float32 run's (measured:
        /// at most 0.042 apart contiguous, 0.065 channels-last), and the bf16 test accuracy after the 300 steps at most 5
        /// points below float32's and 8 above (measured: 2.5 below, 3.4 above, and 5.2 above since bf16 trains the
        /// resnet channels-last: the two runs draw their batches alike but round differently from the first step on,
        /// and an undertrained network's accuracy on the test images moves by points between such runs; the losses are
        /// the closer check).
        /// </summary>
        private const double LossAbsolute = 0.05, LossRelative = 0.10, AccuracyBelow = 0.05, AccuracyAbove = 0.08;

        private readonly TwoPrecisionRuns _runs;
        private readonly ITestOutputHelper _output;

        public MixedPrecisionTests(TwoPrecisionRuns runs, ITestOutputHelper output) => (_runs, _output) = (runs, output);

        [SkippableFact]
        public void A_bf16_run_follows_the_float32_runs_loss_over_300_steps()
        {
            Skip.If(_runs.Bf16Missing is not null, _runs.Bf16Missing);
            var f = _runs.Float32.StepLosses;
            var b = _runs.BFloat16!.StepLosses;
            Assert.Equal(300, f.Count);
            Assert.Equal(300, b.Count);
            for (int w = 0; w < 300; w += 25)
            {
                double mf = f.Skip(w).Take(25).Average(), mb = b.Skip(w).Take(25).Average();
                _output.WriteLine($"steps {w + 1}-{w + 25}: float32 {mf:F4}, bf16 {mb:F4} ({mb - mf:+0.0000;-0.0000})");
                Assert.True(Math.Abs(mb - mf) <= LossAbsolute + LossRelative * mf, $"steps {w + 1}-{w + 25}: bf16 loss {mb:F4}, float32 {mf:F4}");
            }
            // Both learn: the last 25 steps are far below the first 25 (2.3, the loss of a uniform guess over 10 classes).
            Assert.True(b.TakeLast(25).Average() < 0.6 * b.Take(25).Average());
            var (af, ab) = (_runs.Float32.Fit.Last!.ValAccuracy, _runs.BFloat16!.Fit.Last!.ValAccuracy);
            _output.WriteLine($"test accuracy after 300 steps: float32 {af:P1}, bf16 {ab:P1}");
            Assert.InRange(ab - af, -AccuracyBelow, AccuracyAbove);
        }

        [SkippableFact]
        public void The_checkpoint_of_a_bf16_run_holds_the_float32_master_weights()
        {
            Skip.If(_runs.Bf16Missing is not null, _runs.Bf16Missing);
            var trained = _runs.BFloat16!.Model;
            using var loaded = new ResNetMini();
            Trainer.LoadWeights(loaded, Path.Combine(_runs.BFloat16!.Folder, CheckpointFile.FileName));
            var mine = trained.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in loaded.named_parameters())
            {
                Assert.Equal(ScalarType.Float32, mine[name].dtype);
                Assert.True(p.eq(mine[name]).all().item<bool>(), $"{name} differs from the trained float32 weight");
            }
            // The weights are float32 values, not bf16 values stored as float32: rounding them to bf16 changes them.
            var conv = loaded.named_parameters().First(p => p.parameter.dim() == 4).parameter;
            Assert.False(conv.to(ScalarType.BFloat16).to(ScalarType.Float32).eq(conv).all().item<bool>());
        }

        [SkippableFact]
        public void Bf16_inference_agrees_with_float32_within_a_point_of_accuracy()
        {
            Skip.If(_runs.Bf16Missing is not null, _runs.Bf16Missing);
            var model = _runs.Float32.Model;
            var f = Trainer.Evaluate(model, _runs.Test, batchSize: 250);
            var b = Trainer.Evaluate(model, _runs.Test, batchSize: 250, precision: Precision.BFloat16);
            _output.WriteLine($"float32: accuracy {f.Accuracy:P2}, loss {f.Loss:F4}; bf16: accuracy {b.Accuracy:P2}, loss {b.Loss:F4}");
            Assert.Equal(f.Count, b.Count);
            Assert.InRange(b.Accuracy - f.Accuracy, -0.01, 0.01);
            Assert.InRange(b.Loss, f.Loss * 0.97, f.Loss * 1.03);

            // Logits of 64 test images: within 5% of the largest logit, the same class for at least 62 of them.
            model.eval();
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var images = new List<Tensor>();
            for (int i = 0; i < 64; i++)
                using (var example = _runs.Test.Read(i)) images.Add(example.Input.to_type(ScalarType.Float32).div(255));
            var x = torch.stack(images);
            var logits32 = model.call(x);
            Tensor logits16;
            using (MixedPrecision.Enable(model, Precision.BFloat16)) logits16 = model.call(x);
            Assert.Equal(ScalarType.BFloat16, logits16.dtype);
            Assert.Equal(ScalarType.Float32, model.call(x).dtype); // the scope ended: float32 again
            double largest = logits32.abs().max().item<float>(), diff = (logits16.to_type(ScalarType.Float32) - logits32).abs().max().item<float>();
            long same = logits16.argmax(1).eq(logits32.argmax(1)).sum().item<long>();
            _output.WriteLine($"largest logit {largest:F3}, largest difference {diff:F4}, same class {same} of 64");
            Assert.True(diff <= 0.05 * largest, $"largest difference {diff} against largest logit {largest}");
            Assert.True(same >= 62, $"{same} of 64");
        }

        private const string CpuInfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni {0}\nbugs\t\t: none\n";

        [Fact]
        public void Bf16_on_a_cpu_without_bf16_instructions_is_refused_naming_them_and_the_fix()
        {
            var without = PrecisionSupport.ParseCpuInfo(string.Format(CpuInfo, ""));
            Assert.NotNull(without);
            Assert.Contains("avx512_vnni", without!);
            var e = Assert.Throws<PrecisionNotSupportedException>(() => PrecisionSupport.Check(Precision.BFloat16, cuda: false, without));
            Assert.Equal(
                "bf16 mixed precision needs a CPU with the AVX512-BF16 or AMX-BF16 instruction set (cpuinfo flag avx512_bf16 or amx_bf16), and this CPU has neither: "
                + "libtorch would emulate bfloat16 and run slower than float32. Train in float32 (--precision float32, Precision.Float32), "
                + "or use a CPU that has them (Intel Xeon from Cooper Lake or Sapphire Rapids on, AMD from Zen 4 on) or a CUDA GPU.", e.Message);
            Assert.Equal(Precision.BFloat16, e.Precision);

            PrecisionSupport.Check(Precision.BFloat16, cuda: false, PrecisionSupport.ParseCpuInfo(string.Format(CpuInfo, "avx512_bf16")));
            PrecisionSupport.Check(Precision.BFloat16, cuda: false, PrecisionSupport.ParseCpuInfo(string.Format(CpuInfo, "amx_tile amx_bf16")));
            PrecisionSupport.Check(Precision.BFloat16, cuda: true, without);
            PrecisionSupport.Check(Precision.Float32, cuda: false, without);
            Assert.Equal("avx2, fma, avx512f, avx512_vnni; no avx_vnni, avx512_bf16, amx_tile, amx_bf16, amx_int8", PrecisionSupport.Describe(without));
        }

        [Fact]
        public void Fp16_on_the_cpu_is_refused_before_anything_is_written()
        {
            var e = Assert.Throws<PrecisionNotSupportedException>(() => PrecisionSupport.Check(Precision.Float16, cuda: false, null));
            Assert.StartsWith("fp16 mixed precision needs a CUDA device", e.Message);
            string dir = Path.Combine(TestData.TempDir("fp16-cpu"), "run");
            using var model = new LeNet();
            Assert.Throws<PrecisionNotSupportedException>(() => Trainer.Fit(model, _runs.Test, null, new TrainOptions { Precision = Precision.Float16, OutputDir = dir, Progress = ProgressMode.Silent }));
            Assert.False(Directory.Exists(dir));
        }

        [SkippableFact]
        public void The_command_line_refuses_fp16_on_the_cpu_and_evaluates_a_checkpoint_in_bf16()
        {
            string dir = Path.Combine(TestData.TempDir("cli-fp16"), "run");
            var (code, _, error) = CommandLineTests.Cli("train", "--model", "lenet", "--epochs", "1", "--limit", "64", "--precision", "fp16", "--out", dir);
            Assert.Equal(2, code);
            Assert.StartsWith("error: fp16 mixed precision needs a CUDA device", error);
            Assert.False(Directory.Exists(dir));

            string checkpoint = Path.Combine(_runs.Float32.Folder, CheckpointFile.FileName);
            var (onnx, _, onnxError) = CommandLineTests.Cli("evaluate", "--checkpoint", checkpoint, "--precision", "bf16", "--engine", "onnx");
            Assert.Equal(2, onnx);
            Assert.StartsWith("error: --precision bf16 applies to --engine torch", onnxError);

            Skip.If(_runs.Bf16Missing is not null, _runs.Bf16Missing);
            var (ok, output, evalError) = CommandLineTests.Cli("evaluate", "--checkpoint", checkpoint, "--precision", "bf16");
            Assert.True(ok == 0, evalError);
            Assert.Contains($"resnet-mini from {checkpoint} (epoch 2) in bf16 mixed precision: test accuracy ", output);
        }

        [Fact]
        public void Summary_prints_the_casts_of_every_layer_from_the_graph()
        {
            var (code, output, error) = CommandLineTests.Cli("summary", "resnet-mini", "--precision", "bf16");
            Assert.True(code == 0, error);
            var lines = output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();
            int header = lines.FindIndex(l => l[0] == "module or step");
            Assert.True(header > 0, output);
            var rows = lines.Skip(header + 1).TakeWhile(l => l.Length == 4)
                .GroupBy(l => l[0] + " " + l[1]).ToDictionary(g => g.Key, g => (Ops: g.First()[2], Type: g.First()[3]));
            // A row for every layer of the graph (20 in resnet-mini) and every merge or in-place step.
            var leaves = Dsl.Runtime.Graph.NetworkGraph.Of(ResNetMini.Info).Root.Descendants().Where(n => n.Form == Dsl.Runtime.Graph.NodeForm.Leaf).ToList();
            Assert.Equal(20, leaves.Count);
            foreach (var leaf in leaves) Assert.True(rows.ContainsKey(leaf.Path + " " + leaf.Module), $"no row for {leaf.Path}:\n{output}");
            Assert.Equal(("conv2d", "bf16"), rows["stem.conv Conv2d"]);
            Assert.Equal(("linear", "bf16"), rows["head.fc Linear"]);
            Assert.Equal(("batch_norm", "as received"), rows["stem.bn BatchNorm2d"]);
            Assert.Equal(("add_", "as received"), rows["stage1.0:y add"]);
            // ReLU declares its rule in its kind file in the generator, and the graph carries it: relu falls through.
            var relus = leaves.Where(l => l.Module == "ReLU").ToList();
            Assert.NotEmpty(relus);
            foreach (var relu in relus) Assert.Equal(("relu", "as received"), rows[relu.Path + " ReLU"]);
            Assert.Contains("loss: float32 (cross_entropy_loss, nll_loss, mse_loss, l1_loss, huber_loss)", output);
        }

        [Fact]
        public void The_grad_scaler_skips_a_step_that_overflowed_and_halves_then_grows_its_scale()
        {
            var scaler = new GradScaler(initialScale: 1024, growthInterval: 2);
            using var p = new Parameter(torch.zeros(3));
            using (var loss = scaler.ScaleLoss(p.sum().add(1))) loss.backward();
            Assert.Equal(new[] { 1024f, 1024f, 1024f }, p.grad!.data<float>().ToArray());
            Assert.True(scaler.UnscaleAndUpdate(new[] { p }));
            Assert.Equal(new[] { 1f, 1f, 1f }, p.grad!.data<float>().ToArray());
            Assert.Equal(1024, scaler.Scale);

            p.grad!.copy_(torch.tensor(new[] { 1f, float.PositiveInfinity, 0f }));
            Assert.False(scaler.UnscaleAndUpdate(new[] { p }));
            Assert.Equal((512, 1), (scaler.Scale, scaler.SkippedSteps));

            for (int i = 0; i < 2; i++)
            {
                p.grad!.fill_(1);
                Assert.True(scaler.UnscaleAndUpdate(new[] { p }));
            }
            Assert.Equal(1024, scaler.Scale);
        }
    }
}
