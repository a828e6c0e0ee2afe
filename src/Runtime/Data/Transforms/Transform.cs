namespace Dsl.Runtime.Data.Transforms
{
    /// <summary>
    /// A per-sample transform with torchvision.transforms semantics, run on the loader's workers. Images reach the first
    /// transform as float32 [C, H, W] in [0, 1] (torchvision's <c>ToTensor</c>); a mask target (int64 [H, W]) is moved by
    /// the same geometry (nearest), as torchvision.transforms.v2 does for masks.
    /// </summary>
    /// <remarks>
    /// Random transforms draw from the <see cref="TransformRandom"/> they are given, which is seeded from (seed, epoch,
    /// sample index) only: a run is reproducible whatever the number of workers. Each random transform exposes its
    /// parameter draw (<c>GetParams</c>) separately from the deterministic function it then applies, as torchvision does.
    /// </remarks>
    public abstract class Transform
    {
        /// <summary>
        /// Applies the transform. Returns a new example that owns its tensors; <paramref name="example"/> stays owned by
        /// the caller (an unchanged tensor is returned as an alias).
        /// </summary>
        public abstract Example Apply(Example example, TransformRandom random);

        /// <summary>Several transforms in order (torchvision's <c>Compose</c>).</summary>
        public static Transform Compose(params Transform[] transforms) => new Compose(transforms);

        /// <summary>The transform in the syntax <see cref="TransformText.Parse"/> reads, e.g. <c>RandomHorizontalFlip(p=0.5)</c>.</summary>
        public abstract override string ToString();
    }

    /// <summary>Transforms applied one after the other.</summary>
    public sealed class Compose : Transform
    {
        /// <summary>Creates the chain.</summary>
        public Compose(IEnumerable<Transform> transforms)
        {
            Transforms = transforms.ToArray();
            if (Transforms.Any(t => t is null)) throw new ArgumentNullException(nameof(transforms), "a transform in Compose is null.");
        }

        /// <summary>The transforms, in order.</summary>
        public IReadOnlyList<Transform> Transforms { get; }

        /// <inheritdoc/>
        public override Example Apply(Example example, TransformRandom random)
        {
            if (Transforms.Count == 0) return example.With(example.Input.alias(), example.Target.alias());
            Example current = example;
            for (int i = 0; i < Transforms.Count; i++)
            {
                var next = Transforms[i].Apply(current, random);
                if (!ReferenceEquals(current, example)) current.Dispose();
                current = next;
            }
            return current;
        }

        /// <summary>
        /// The transforms separated by <c>;</c> (the syntax <see cref="TransformText.Parse"/> reads), or <c>none</c> when
        /// there are none.
        /// </summary>
        public override string ToString() => Transforms.Count == 0 ? "none" : string.Join("; ", Transforms.Select(t => t.ToString()));
    }

    /// <summary>
    /// The random numbers of one sample in one epoch: SplitMix64 seeded from (seed, epoch, index), so the draw does not
    /// depend on which worker builds the sample or in which order.
    /// </summary>
    public sealed class TransformRandom
    {
        private ulong _state;

        /// <summary>The generator of sample <paramref name="index"/> in <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
        public TransformRandom(long seed, int epoch, int index)
        {
            unchecked
            {
                _state = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)epoch * 0xC2B2AE3D27D4EB4FUL ^ (ulong)index * 0x165667B19E3779F9UL ^ 0x27D4EB2F165667C5UL;
            }
            NextULong(); // decorrelate nearby keys
        }

        /// <summary>The next 64 random bits.</summary>
        public ulong NextULong()
        {
            unchecked
            {
                ulong z = _state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }
        }

        /// <summary>Uniform in [0, 1), 53 bits.</summary>
        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
        public double Uniform(double low, double high) => low + (high - low) * NextDouble();

        /// <summary>A whole number in [<paramref name="low"/>, <paramref name="high"/>) (torch.randint's bounds).</summary>
        public int Int(int low, int high)
        {
            if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), $"empty range [{low}, {high}).");
            return low + (int)(NextULong() % (ulong)(high - low));
        }

        /// <summary>True with probability <paramref name="p"/> (torchvision's <c>torch.rand(1) &lt; p</c>).</summary>
        public bool Chance(double p) => NextDouble() < p;

        /// <summary>A random permutation of 0..n-1 (torch.randperm).</summary>
        public int[] Permutation(int n)
        {
            var p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            for (int i = n - 1; i > 0; i--)
            {
                int j = Int(0, i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
            return p;
        }
    }
}
