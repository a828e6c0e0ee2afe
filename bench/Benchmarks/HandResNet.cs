using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dsl.Benchmarks
{
    /// <summary>
    /// D2L's <c>Residual</c> block written by hand in TorchSharp: conv1 -> bn1 -> relu -> conv2 -> bn2, plus the
    /// input or a 1x1 projection, then relu.
    /// </summary>
    public sealed class Residual : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d? conv3;
        private readonly bool inPlace;

        public Residual(long inChannels, long channels, bool use1x1Conv = false, long stride = 1, bool inPlace = false) : base(nameof(Residual))
        {
            this.inPlace = inPlace;
            conv1 = Conv2d(inChannels, channels, kernel_size: 3, stride: stride, padding: 1);
            bn1 = BatchNorm2d(channels);
            conv2 = Conv2d(channels, channels, kernel_size: 3, padding: 1);
            bn2 = BatchNorm2d(channels);
            if (use1x1Conv) conv3 = Conv2d(inChannels, channels, kernel_size: 1, stride: stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = bn1.forward(conv1.forward(x));
            y = inPlace ? y.relu_() : functional.relu(y);
            y = bn2.forward(conv2.forward(y));
            if (conv3 is not null) x = conv3.forward(x);
            y.add_(x);
            return inPlace ? y.relu_() : functional.relu(y);
        }
    }

    /// <summary>D2L ResNet-18 written by hand in TorchSharp (11,178,378 parameters for 1-channel input, 10 classes).</summary>
    public sealed class HandResNet18 : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly BatchNorm2d bn;
        private readonly MaxPool2d pool;
        private readonly Sequential b2, b3, b4, b5;
        private readonly AdaptiveAvgPool2d avgpool;
        private readonly Flatten flatten;
        private readonly Linear fc;
        private readonly bool inPlace;

        /// <param name="inChannels">Input channels.</param>
        /// <param name="classes">Output classes.</param>
        /// <param name="inPlace">In-place ReLUs (as the generated code); false follows D2L (<c>F.relu</c>, a new tensor).</param>
        public HandResNet18(long inChannels = 1, long classes = 10, bool inPlace = false) : base(nameof(HandResNet18))
        {
            this.inPlace = inPlace;
            conv = Conv2d(inChannels, 64, kernel_size: 7, stride: 2, padding: 3);
            bn = BatchNorm2d(64);
            pool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
            b2 = Stage(64, 64, 2, inPlace, first: true);
            b3 = Stage(64, 128, 2, inPlace);
            b4 = Stage(128, 256, 2, inPlace);
            b5 = Stage(256, 512, 2, inPlace);
            avgpool = AdaptiveAvgPool2d(1);
            flatten = Flatten();
            fc = Linear(512, classes);
            RegisterComponents();
        }

        private static Sequential Stage(long inChannels, long channels, int blocks, bool inPlace, bool first = false)
        {
            var seq = Sequential();
            for (int i = 0; i < blocks; i++)
            {
                seq.append(i == 0 && !first
                    ? new Residual(inChannels, channels, use1x1Conv: true, stride: 2, inPlace: inPlace)
                    : new Residual(i == 0 ? inChannels : channels, channels, inPlace: inPlace));
            }
            return seq;
        }

        public override Tensor forward(Tensor x)
        {
            x = bn.forward(conv.forward(x));
            x = pool.forward(inPlace ? x.relu_() : functional.relu(x));
            x = b5.forward(b4.forward(b3.forward(b2.forward(x))));
            return fc.forward(flatten.forward(avgpool.forward(x)));
        }
    }
}
