using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Runtime.Data
{
    /// <summary>
    /// A labelled image set held in memory as one tensor: <see cref="Images"/> is uint8 [N, C, H, W] on the CPU,
    /// <see cref="Labels"/> int64 [N]. The source behind IDX files (MNIST, Fashion-MNIST). Without transforms, batches
    /// are cut from it with one <c>index_select</c> (see <see cref="BatchLoader"/>).
    /// </summary>
    public sealed class ImageDataset : Dataset
    {
        /// <summary>Wraps tensors (the dataset owns and disposes them).</summary>
        public ImageDataset(string name, Tensor images, Tensor labels, IReadOnlyList<string>? classNames = null)
        {
            if (images.dim() != 4) throw new ArgumentException($"images must be [N, C, H, W], got {Dsl.Shape.Format(images.shape)}.", nameof(images));
            if (labels.dim() != 1) throw new ArgumentException($"labels must be [N], got {Dsl.Shape.Format(labels.shape)}.", nameof(labels));
            if (images.shape[0] != labels.shape[0])
                throw new ArgumentException($"{name}: {images.shape[0]} images but {labels.shape[0]} labels.");
            Name = name;
            Images = images.DetachFromDisposeScope();
            Labels = labels.DetachFromDisposeScope();
            ClassNames = classNames ?? Array.Empty<string>();
        }

        /// <summary>A short name for messages (e.g. "fashion-mnist train").</summary>
        public override string Name { get; }

        /// <summary>All images, uint8 [N, C, H, W], CPU.</summary>
        public Tensor Images { get; }

        /// <summary>All labels, int64 [N], CPU.</summary>
        public Tensor Labels { get; }

        /// <summary>Class names by label id (may be empty).</summary>
        public override IReadOnlyList<string> ClassNames { get; }

        /// <summary>Number of samples.</summary>
        public override int Count => (int)Images.shape[0];

        /// <summary>Shape of one sample (C, H, W).</summary>
        public override Dsl.Shape SampleShape => new(Images.shape[1], Images.shape[2], Images.shape[3]);

        /// <inheritdoc/>
        public override long[]? ClassLabels() => Labels.data<long>().ToArray();

        /// <inheritdoc/>
        public override Example Read(int index)
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images.");
            using var scope = torch.NewDisposeScope();
            return new Example(Images[index].clone(), Labels[index].clone(), TargetKind.Class, $"{Name} image {index}");
        }

        /// <inheritdoc/>
        protected internal override (Tensor Input, Tensor Target)? ReadBatch(long[] indices)
        {
            using var index = torch.tensor(indices, ScalarType.Int64);
            return (Images.index_select(0, index), Labels.index_select(0, index));
        }

        /// <summary>
        /// Builds a dataset from an IDX image file and an IDX label file (gzip or raw).
        /// The counts must match; otherwise an <see cref="InvalidDataException"/> names both files and counts.
        /// With <paramref name="classNames"/>, every label must be a class index in [0, classNames.Count); the first
        /// that is not is reported with the file and its index (a trainer would otherwise fail deep inside the loss).
        /// </summary>
        public static ImageDataset FromIdx(string imagesPath, string labelsPath, string? name = null, IReadOnlyList<string>? classNames = null)
        {
            var images = IdxReader.ReadImages(imagesPath);
            var labels = IdxReader.ReadLabels(labelsPath);
            if (images.Count != labels.Length)
                throw new InvalidDataException(
                    $"{Path.GetFileName(imagesPath)} and {Path.GetFileName(labelsPath)} do not match: expected as many labels as images, but found {images.Count} images and {labels.Length} labels.");
            if (classNames is { Count: > 0 })
            {
                for (int i = 0; i < labels.Length; i++)
                {
                    if (labels[i] >= classNames.Count)
                        throw new InvalidDataException(
                            $"{Path.GetFileName(labelsPath)}: label {labels[i]} at index {i} is outside [0, {classNames.Count}): the data set has {classNames.Count} classes. The file is corrupt or belongs to another data set.");
                }
            }
            var x = torch.tensor(images.Pixels, new long[] { images.Count, 1, images.Rows, images.Columns }, ScalarType.Byte);
            Tensor y;
            using (var b = torch.tensor(labels, ScalarType.Byte)) y = b.to_type(ScalarType.Int64);
            return new ImageDataset(name ?? Path.GetFileName(imagesPath), x, y, classNames);
        }

        /// <summary>The first <paramref name="count"/> samples as a new dataset (copies).</summary>
        /// <exception cref="InvalidOptionException"><paramref name="count"/> is negative.</exception>
        public ImageDataset Take(int count)
        {
            if (count < 0) throw new InvalidOptionException(nameof(count), "0 or more images", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            count = Math.Min(count, Count);
            using var scope = torch.NewDisposeScope();
            var images = Images.narrow(0, 0, count).clone();
            var labels = Labels.narrow(0, 0, count).clone();
            return new ImageDataset(Name, images, labels, ClassNames); // the constructor detaches both from the scope
        }

        /// <summary>Releases the tensors.</summary>
        public override void Dispose()
        {
            Images.Dispose();
            Labels.Dispose();
        }

    }
}
