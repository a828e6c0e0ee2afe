namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>The transforms of a training set and of its evaluation set.</summary>
    /// <param name="Train">Applied to training samples (random augmentation).</param>
    /// <param name="Eval">Applied to validation and test samples (deterministic).</param>
    public sealed record TransformPair(Transform Train, Transform Eval)
    {
        /// <inheritdoc/>
        public override string ToString() => $"train: {Train}; eval: {Eval}";
    }

    /// <summary>
    /// The usual recipes, as torchvision's reference scripts: <see cref="ImageNet"/> and <see cref="Cifar"/>, with the
    /// data sets' channel statistics.
    /// </summary>
    public static class TransformPresets
    {
        /// <summary>ImageNet's per-channel mean (RGB), the statistics torchvision's pretrained weights expect.</summary>
        public static IReadOnlyList<double> ImageNetMean { get; } = new[] { 0.485, 0.456, 0.406 };

        /// <summary>ImageNet's per-channel standard deviation (RGB).</summary>
        public static IReadOnlyList<double> ImageNetStd { get; } = new[] { 0.229, 0.224, 0.225 };

        /// <summary>CIFAR-10's per-channel mean (RGB).</summary>
        public static IReadOnlyList<double> CifarMean { get; } = new[] { 0.4914, 0.4822, 0.4465 };

        /// <summary>CIFAR-10's per-channel standard deviation (RGB).</summary>
        public static IReadOnlyList<double> CifarStd { get; } = new[] { 0.2470, 0.2435, 0.2616 };

        /// <summary>The names <see cref="TransformText"/> reads as presets.</summary>
        public static IReadOnlyList<string> Names { get; } = new[] { "imagenet", "cifar", "none" };

        /// <summary>
        /// The size of CIFAR's images, the <c>cifar</c> preset's size unless another is given: its crops keep the
        /// images' size (the <c>imagenet</c> preset's size is the network's input size instead).
        /// </summary>
        public const int CifarSize = 32;

        /// <summary>
        /// ImageNet training: RandomResizedCrop(size); RandomHorizontalFlip(); Normalize(ImageNet statistics). Evaluation:
        /// Resize(int(size * 256 / 224)); CenterCrop(size); Normalize (torchvision's 256/224 ratio).
        /// </summary>
        /// <exception cref="InvalidOptionException"><paramref name="size"/> is not positive.</exception>
        public static TransformPair ImageNet(int size = 224)
        {
            TransformChecks.PositiveSize("imagenet preset size", size);
            var normalize = new Normalize(ImageNetMean.ToArray(), ImageNetStd.ToArray());
            return new TransformPair(
                Transform.Compose(new RandomResizedCrop(size), new RandomHorizontalFlip(), normalize),
                Transform.Compose(new Resize(EvalResize(size)), new CenterCrop(size), normalize));
        }

        /// <summary>
        /// CIFAR training: RandomCrop(size, padding=4); RandomHorizontalFlip(); Normalize(CIFAR statistics). Evaluation:
        /// Normalize only.
        /// </summary>
        /// <exception cref="InvalidOptionException"><paramref name="size"/> is not positive.</exception>
        public static TransformPair Cifar(int size = CifarSize)
        {
            TransformChecks.PositiveSize("cifar preset size", size);
            var normalize = new Normalize(CifarMean.ToArray(), CifarStd.ToArray());
            return new TransformPair(
                Transform.Compose(new RandomCrop(size, padding: 4), new RandomHorizontalFlip(), normalize),
                Transform.Compose(normalize));
        }

        /// <summary>No transform for either set (images are only scaled to [0, 1]).</summary>
        public static TransformPair None { get; } = new(Transform.Compose(), Transform.Compose());

        /// <summary>The evaluation resize for a crop of <paramref name="size"/>: torchvision's <c>int(size * 256 / 224)</c>.</summary>
        public static int EvalResize(int size) => (int)(size * 256.0 / 224.0);

        /// <summary>
        /// The evaluation counterpart of explicit training transforms: random augmentation becomes its deterministic
        /// equivalent (RandomResizedCrop(S) becomes Resize(int(S * 256 / 224)); CenterCrop(S), RandomCrop(S) becomes
        /// CenterCrop(S) of the unpadded image, RandomHorizontalFlip and ColorJitter are dropped); the rest is kept.
        /// </summary>
        public static Transform EvalCounterpart(Transform train)
        {
            var steps = new List<Transform>();
            foreach (var t in Flatten(train))
            {
                switch (t)
                {
                    case RandomResizedCrop rrc:
                        steps.Add(rrc.Height == rrc.Width ? new Resize(EvalResize(rrc.Height)) : new Resize(EvalResize(rrc.Height), EvalResize(rrc.Width)));
                        steps.Add(new CenterCrop(rrc.Height, rrc.Width));
                        break;
                    case RandomCrop rc:
                        steps.Add(new CenterCrop(rc.Height, rc.Width) { IgnoreIndex = rc.IgnoreIndex });
                        break;
                    case RandomHorizontalFlip:
                    case ColorJitter:
                        break;
                    default:
                        steps.Add(t);
                        break;
                }
            }
            return new Compose(steps);
        }

        internal static IEnumerable<Transform> Flatten(Transform t) =>
            t is Compose c ? c.Transforms.SelectMany(Flatten) : new[] { t };
    }
}
