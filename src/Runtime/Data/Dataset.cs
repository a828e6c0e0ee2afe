using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>What a sample's target is; decides how batches are stacked and which transforms touch it.</summary>
    public enum TargetKind
    {
        /// <summary>A class index: int64 scalar; a batch of them is int64 [B].</summary>
        Class,

        /// <summary>Real values: float32 [K] (K = 1 for one value); a batch is float32 [B, K].</summary>
        Values,

        /// <summary>A class index per pixel: int64 [H, W], moved by the same geometry as the image (nearest); a batch is int64 [B, H, W].</summary>
        Mask,

        /// <summary>The next token at every position of a token window: int64 [L] (the input is the window, int64 [L]); a batch is int64 [B, L].</summary>
        Tokens,
    }

    /// <summary>
    /// One sample on the CPU: <see cref="Input"/> (images: uint8 [C, H, W] as read, float32 [C, H, W] in [0, 1] after
    /// the first transform; tables and arrays: float32 [F] or any shape) and <see cref="Target"/> (see <see cref="TargetKind"/>).
    /// The example owns both tensors, which belong to no dispose scope.
    /// </summary>
    public sealed class Example : IDisposable
    {
        /// <summary>Wraps tensors (the example takes them out of the current dispose scope and owns them).</summary>
        public Example(Tensor input, Tensor target, TargetKind kind, string source)
        {
            Input = input.DetachFromDisposeScope();
            Target = target.DetachFromDisposeScope();
            Kind = kind;
            Source = source;
        }

        /// <summary>The sample's input.</summary>
        public Tensor Input { get; }

        /// <summary>The sample's target.</summary>
        public Tensor Target { get; }

        /// <summary>What <see cref="Target"/> holds.</summary>
        public TargetKind Kind { get; }

        /// <summary>Where the sample came from, for messages: a file, "data.csv row 17", "data_batch_1.bin record 5".</summary>
        public string Source { get; }

        /// <summary>A new example with other tensors and the same kind and source (the caller disposes this one if it no longer needs it).</summary>
        public Example With(Tensor input, Tensor target) => new(input, target, Kind, Source);

        /// <summary>Releases both tensors.</summary>
        public void Dispose()
        {
            Input.Dispose();
            Target.Dispose();
        }
    }

    /// <summary>
    /// A data set: a number of samples and random access to each, like PyTorch's map-style <c>Dataset</c>. Sources read
    /// a sample only when asked (an image folder decodes one file), so a set larger than memory trains with bounded
    /// memory; <see cref="BatchLoader"/> reads batches on background workers. <see cref="Read"/> must be safe to call
    /// from several threads at once.
    /// </summary>
    public abstract class Dataset : IDisposable
    {
        /// <summary>A short name for messages (e.g. "cifar-10 train", a folder).</summary>
        public abstract string Name { get; }

        /// <summary>Number of samples.</summary>
        public abstract int Count { get; }

        /// <summary>What every sample's target is.</summary>
        public virtual TargetKind TargetKind => TargetKind.Class;

        /// <summary>Class names by index (empty when the source does not name its classes, or for value targets).</summary>
        public virtual IReadOnlyList<string> ClassNames => Array.Empty<string>();

        /// <summary>Mask targets: the mask value of pixels that are neither learned nor scored; null for other targets.</summary>
        public virtual int? IgnoreIndex => null;

        /// <summary>
        /// The input shape every sample has as read (images: channels, height, width), or null when samples differ
        /// (an image folder of photos) or the source cannot tell without reading them all.
        /// </summary>
        public virtual Dsl.Shape? SampleShape => null;

        /// <summary>
        /// Every sample's class index, when the source knows them without reading the samples (so labels are checked
        /// against the model before the first batch); null otherwise.
        /// </summary>
        public virtual long[]? ClassLabels() => null;

        /// <summary>Reads sample <paramref name="index"/> as stored (no transform). Thread-safe.</summary>
        /// <exception cref="System.IO.InvalidDataException">The sample cannot be read; the message names its file.</exception>
        public abstract Example Read(int index);

        /// <summary>
        /// Sample <paramref name="index"/> as the trainer sees it in epoch <paramref name="epoch"/> of a run seeded with
        /// <paramref name="seed"/>: <see cref="Read"/> here; a transformed view applies its transforms with random
        /// choices drawn from (seed, epoch, index) only, so a sample is the same whichever worker builds it.
        /// </summary>
        public virtual Example Get(int index, long seed, int epoch) => Read(index);

        /// <summary>
        /// A whole batch at once, where the source can do better than reading samples one by one (an in-memory set cuts
        /// it with one <c>index_select</c>); null to let the loader stack <see cref="Get"/>'s samples. The tensors belong
        /// to the caller's dispose scope.
        /// </summary>
        protected internal virtual (Tensor Input, Tensor Target)? ReadBatch(long[] indices) => null;

        /// <summary>This set with <paramref name="transform"/> applied to every sample (torchvision's <c>transform=</c>).</summary>
        public Dataset WithTransform(Transforms.Transform transform) => new TransformedDataset(this, transform);

        /// <summary>The samples at <paramref name="indices"/>, as a view (nothing is copied; disposing the view leaves this set open).</summary>
        public Dataset Subset(IReadOnlyList<int> indices, string? name = null) => new SubsetDataset(this, indices, name);

        /// <summary>
        /// A seeded random split into a training part and a validation part holding <paramref name="validationFraction"/>
        /// of the samples (rounded, at least one each), both views of this set. The same seed gives the same split.
        /// </summary>
        /// <exception cref="InvalidOptionException">The fraction is not in (0, 1), or the set is too small to split.</exception>
        public (Dataset Train, Dataset Validation) Split(double validationFraction, long seed = 42)
        {
            if (!(validationFraction > 0 && validationFraction < 1))
                throw new InvalidOptionException("validation fraction", "a number between 0 and 1 (exclusive), such as 0.1", validationFraction.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (Count < 2)
                throw new InvalidOptionException("validation fraction", "a data set of at least 2 samples to split", $"{Name} with {Count}");
            int val = (int)Math.Round(Count * validationFraction);
            val = Math.Clamp(val, 1, Count - 1);
            int[] order = BatchLoader.Order(seed, 0, Count);
            var valIdx = order[..val];
            var trainIdx = order[val..];
            Array.Sort(valIdx);
            Array.Sort(trainIdx);
            return (Subset(trainIdx, Name + " (train split)"), Subset(valIdx, Name + " (validation split)"));
        }

        /// <summary>Releases what the source holds (open files, tensors). Views do not dispose the set they view.</summary>
        public virtual void Dispose() { }

        /// <inheritdoc/>
        public override string ToString() => SampleShape is { } s ? $"{Name}: {Count} samples of {s}" : $"{Name}: {Count} samples";
    }

    /// <summary>
    /// A set seen through another (<see cref="SubsetDataset"/>, <see cref="TransformedDataset"/>, a converted image
    /// mode): by default everything is the source's, and a view overrides what it changes.
    /// </summary>
    internal abstract class DatasetView(Dataset source) : Dataset
    {
        protected readonly Dataset _source = source;

        public override string Name => _source.Name;
        public override int Count => _source.Count;
        public override TargetKind TargetKind => _source.TargetKind;
        public override IReadOnlyList<string> ClassNames => _source.ClassNames;
        public override int? IgnoreIndex => _source.IgnoreIndex;
        public override Dsl.Shape? SampleShape => _source.SampleShape;
        public override long[]? ClassLabels() => _source.ClassLabels();
        public override Example Read(int index) => _source.Read(index);
    }

    /// <summary>A view of some samples of another set (<see cref="Dataset.Subset"/>, <see cref="Dataset.Split"/>).</summary>
    internal sealed class SubsetDataset : DatasetView
    {
        private readonly int[] _indices;

        public SubsetDataset(Dataset source, IReadOnlyList<int> indices, string? name) : base(source)
        {
            _indices = new int[indices.Count];
            for (int i = 0; i < _indices.Length; i++)
            {
                int j = indices[i];
                if (j < 0 || j >= source.Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"index outside {source.Name}'s {source.Count} samples.");
                _indices[i] = j;
            }
            Name = name ?? source.Name + " (subset)";
        }

        public override string Name { get; }
        public override int Count => _indices.Length;

        public override long[]? ClassLabels()
        {
            var all = _source.ClassLabels();
            if (all is null) return null;
            var mine = new long[_indices.Length];
            for (int i = 0; i < mine.Length; i++) mine[i] = all[_indices[i]];
            return mine;
        }

        public override Example Read(int index) => _source.Read(_indices[index]);

        // The source's random choices are keyed by the source's own index, so a sample is transformed the same way
        // whether it is reached through a split or not.
        public override Example Get(int index, long seed, int epoch) => _source.Get(_indices[index], seed, epoch);

        protected internal override (Tensor Input, Tensor Target)? ReadBatch(long[] indices)
        {
            var mapped = new long[indices.Length];
            for (int i = 0; i < mapped.Length; i++) mapped[i] = _indices[indices[i]];
            return _source.ReadBatch(mapped);
        }
    }

    /// <summary>A set whose samples pass through a transform (<see cref="Dataset.WithTransform"/>).</summary>
    internal sealed class TransformedDataset(Dataset source, Transforms.Transform transform) : DatasetView(source)
    {
        public Transforms.Transform Transform { get; } = transform ?? throw new ArgumentNullException(nameof(transform));

        // The shape after the transforms is known only by applying them; the loader reports mixed sizes by name.
        public override Dsl.Shape? SampleShape => null;

        public override Example Get(int index, long seed, int epoch)
        {
            using var raw = _source.Get(index, seed, epoch);
            var random = new Transforms.TransformRandom(seed, epoch, index);
            using var scope = torch.NewDisposeScope();
            var input = raw.Input.dtype == ScalarType.Byte ? raw.Input.to_type(ScalarType.Float32).div_(255.0) : raw.Input.alias();
            using var start = raw.With(input, raw.Target.alias());
            var result = Transform.Apply(start, random);
            return result;
        }

        public override string ToString() => $"{_source} -> {Transform}";
    }
}
