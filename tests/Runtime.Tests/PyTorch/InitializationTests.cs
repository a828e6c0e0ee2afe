using Dsl.Cli;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Dsl.Runtime.PyTorch;
using ResNetSample;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.PyTorch
{
    /// <summary>
    /// Reference initialisation: every torchvision network of the sample's catalogue starts with the weight statistics of
    /// a fresh torchvision 0.14 module, parameter by parameter; the PyTorch twin's own initialisation gives them too; a
    /// seed reproduces the weights. One Python process measures every torchvision module and twin.
    /// </summary>
    public sealed class InitializationTests : IClassFixture<InitializationTests.Reference>
    {
        /// <summary>
        /// One parameter's statistics as init_stats.py computes them: float64 mean and population std over the values within
        /// 20 standard deviations of the mean (a second pass), the element count, the shape ratio mean|x - mean| / std (0.798 for a
        /// normal, 0.866 for a uniform), and how many values lay outside (torch's trunc_normal_ artifact, see init_stats.py).
        /// </summary>
        public sealed record Stat(double Mean, double Std, long Count, double Shape, long Outliers);

        /// <summary>The catalogue's torchvision networks: their catalogue names are torchvision's model functions.</summary>
        public static IReadOnlyList<ModelEntry> TorchVisionEntries { get; } =
            ModelCatalog.All.Where(m => m.Description.StartsWith("torchvision ", StringComparison.Ordinal)).ToList();

        /// <summary>The twins whose initialisation is checked against torchvision (kind rules with biases; globs and parameter paths).</summary>
        private static readonly string[] TwinChecks = { "mobilenet_v2", "vit_b_16" };

        /// <summary>Runs the Python side once: torchvision's fresh modules and the twins' statistics.</summary>
        public sealed class Reference
        {
            public Reference()
            {
                MissingReason = PythonTorch.MissingReason;
                if (MissingReason is not null) return;
                string folder = TestData.TempDir("init-stats");
                var entries = TorchVisionEntries.Select(e => "tv:" + e.Name).ToList();
                foreach (var name in TwinChecks)
                {
                    string file = Path.Combine(folder, name + ".py");
                    PyTorchExport.Export(ModelCatalog.Find(name).Info, file, withTrainingScript: false);
                    entries.Add("twin:" + file + ":" + ModelCatalog.Find(name).Info.Name);
                }
                string output = Path.Combine(folder, "stats.json");
                var result = PythonTorch.Run(new[] { Path.Combine(PythonTorch.Helpers, "init_stats.py"), output, "3" }.Concat(entries), TimeSpan.FromMinutes(5));
                if (result.ExitCode != 0) throw new InvalidOperationException("init_stats.py failed: " + result);
                Stats = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, double[]>>>(File.ReadAllText(output))!
                    .ToDictionary(n => n.Key, n => n.Value.ToDictionary(p => p.Key, p => new Stat(p.Value[0], p.Value[1], (long)p.Value[2], p.Value[3], (long)p.Value[4])));
            }

            public string? MissingReason { get; }

            public Dictionary<string, Dictionary<string, Stat>> Stats { get; } = new();
        }

        private readonly Reference _reference;
        private readonly ITestOutputHelper _output;

        public InitializationTests(Reference reference, ITestOutputHelper output)
        {
            _reference = reference;
            _output = output;
        }

        public static IEnumerable<object[]> TorchVisionNames => TorchVisionEntries.Select(e => new object[] { e.Name });

        [Fact]
        public void The_catalogue_lists_the_fifteen_torchvision_networks()
        {
            Assert.Equal(
                new[] { "alexnet", "resnet18", "resnet34", "resnet50", "resnext50_32x4d", "mobilenet_v2", "densenet121", "inception_v3", "googlenet", "convnext_tiny", "vit_b_16", "mobilenet_v3_large", "efficientnet_b0", "fcn_resnet50", "deeplabv3_resnet50" }.OrderBy(n => n),
                TorchVisionEntries.Select(e => e.Name).OrderBy(n => n));
        }

        [SkippableTheory]
        [MemberData(nameof(TorchVisionNames))]
        public void A_fresh_module_has_the_weight_statistics_of_a_fresh_torchvision_module(string name)
        {
            Skip.If(_reference.MissingReason is not null, _reference.MissingReason);
            torch.manual_seed(11);
            Dictionary<string, Stat> dotnet;
            using (var net = ModelCatalog.Find(name).Create()) dotnet = Measure(net);
            Compare(name, dotnet, _reference.Stats["tv:" + name]);
        }

        [SkippableTheory]
        [InlineData("mobilenet_v2")]
        [InlineData("vit_b_16")]
        public void The_twin_initialises_as_torchvision(string name)
        {
            Skip.If(_reference.MissingReason is not null, _reference.MissingReason);
            var twin = _reference.Stats.Single(s => s.Key.StartsWith("twin:", StringComparison.Ordinal) && s.Key.EndsWith(":" + ModelCatalog.Find(name).Info.Name, StringComparison.Ordinal)).Value;
            Compare(name + " (twin)", twin, _reference.Stats["tv:" + name]);
        }

        [Fact]
        public void The_same_seed_gives_the_same_weights_and_another_seed_other_weights()
        {
            Dictionary<string, Tensor> Build(int seed)
            {
                torch.manual_seed(seed);
                using var net = new ResNet18();
                return net.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            }
            var a = Build(5);
            var b = Build(5);
            var c = Build(6);
            Assert.Equal(a.Keys, b.Keys);
            static bool Same(Tensor x, Tensor y) => x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>();
            foreach (var key in a.Keys) Assert.True(Same(a[key], b[key]), key + " differs between two builds with seed 5");
            // Every random tensor (the convolutions, the head) differs with another seed; the BatchNorm constants do not.
            Assert.False(Same(a["conv1.weight"], c["conv1.weight"]));
            Assert.False(Same(a["layer4.1.conv2.weight"], c["layer4.1.conv2.weight"]));
            Assert.True(Same(a["layer4.1.bn2.weight"], c["layer4.1.bn2.weight"]));
        }

        private static Dictionary<string, Stat> Measure(nn.Module net)
        {
            var stats = new Dictionary<string, Stat>(StringComparer.Ordinal);
            foreach (var (name, parameter) in net.named_parameters())
            {
                using var scope = torch.NewDisposeScope();
                var d = parameter.detach().to(float64).flatten();
                double spread = d.std(unbiased: false).item<double>();
                var kept = spread > 0 ? d[(d - d.mean()).abs() <= 20 * spread] : d;
                double mean = kept.mean().item<double>();
                double std = kept.std(unbiased: false).item<double>();
                double shape = std > 0 ? (kept - mean).abs().mean().item<double>() / std : 0.0;
                stats[name] = new Stat(mean, std, d.numel(), shape, d.numel() - kept.numel());
            }
            return stats;
        }

        /// <summary>
        /// Within sampling error, per parameter: constant tensors equal; otherwise the means differ by at most 5 standard
        /// errors of a difference of two means (σ·sqrt(2/n)), the standard deviations by at most 5 standard errors of their
        /// ratio (sqrt(2/n), a bound for the normal and lighter tails), and, for n ≥ 10,000, the shape ratios by at most
        /// 5·sqrt(1/n) (0.798 against 0.866 tells a normal from a uniform of the same variance); outliers (init_stats.py)
        /// stay as rare as the artifact makes them on each side: at most 3 + n/10^6.
        /// </summary>
        private void Compare(string network, Dictionary<string, Stat> actual, Dictionary<string, Stat> expected)
        {
            Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
            double worstMean = 0, worstStd = 0;
            var failures = new List<string>();
            foreach (var (key, e) in expected)
            {
                var a = actual[key];
                Assert.Equal(e.Count, a.Count);
                double n = e.Count;
                if (e.Std == 0)
                {
                    if (a.Std != 0 || Math.Abs(a.Mean - e.Mean) > 1e-12 * Math.Max(1, Math.Abs(e.Mean)))
                        failures.Add($"{key}: torchvision's is constant {e.Mean}, this one has mean {a.Mean}, std {a.Std}");
                    continue;
                }
                double meanZ = Math.Abs(a.Mean - e.Mean) / (e.Std * Math.Sqrt(2 / n));
                double stdZ = Math.Abs(a.Std / e.Std - 1) / Math.Sqrt(2 / n);
                worstMean = Math.Max(worstMean, meanZ);
                worstStd = Math.Max(worstStd, stdZ);
                if (meanZ > 5) failures.Add($"{key}: mean {a.Mean:G6} vs torchvision's {e.Mean:G6} ({meanZ:F1} standard errors, n = {n})");
                if (stdZ > 5) failures.Add($"{key}: std {a.Std:G6} vs torchvision's {e.Std:G6} ({stdZ:F1} standard errors, n = {n})");
                if (n >= 10_000 && Math.Abs(a.Shape - e.Shape) > 5 * Math.Sqrt(1 / n))
                    failures.Add($"{key}: mean |x - mean| / std {a.Shape:F4} vs torchvision's {e.Shape:F4} (another distribution, n = {n})");
                if (a.Outliers > 3 + n / 1e6 || e.Outliers > 3 + n / 1e6)
                    failures.Add($"{key}: {a.Outliers} values beyond 20 standard deviations (torchvision's: {e.Outliers}), n = {n}");
            }
            _output.WriteLine($"{network}: {expected.Count} parameters, worst mean difference {worstMean:F2} standard errors, worst std ratio {worstStd:F2} standard errors");
            Assert.True(failures.Count == 0, $"{network}: {failures.Count} of {expected.Count} parameters differ from torchvision's initialisation:\n" + string.Join("\n", failures.Take(20)));
        }
    }
}
