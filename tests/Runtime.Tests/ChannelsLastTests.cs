using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Autocast;
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
            torch.manual_seed(0);
            using var model = new D2LResNet18();
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
            using (ChannelsLast.Enable(model))
            using (MixedPrecision.Enable(model, precision))
            using (var scope = torch.NewDisposeScope())
            {
                var x = torch.rand(2, 1, 96, 96);
                var loss = model.forward(x).@float().sum();
                loss.backward();
                foreach (var (name, p) in model.named_parameters().Where(np => np.parameter.dim() == 4))
                    if (!ChannelsLast.Is(p.grad!)) broken.Add($"{name}.grad strides [{string.Join(", ", p.grad!.stride())}]");
            }
            foreach (var r in hooks) r();
            foreach (var b in broken) _output.WriteLine(b);
            Assert.Empty(broken);
        }
    }
}
