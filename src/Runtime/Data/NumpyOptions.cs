namespace Dsl.Runtime.Data
{
    /// <summary>How <see cref="NumpyDataset.Load"/> reads NumPy arrays.</summary>
    public sealed record NumpyOptions
    {
        /// <summary>The inputs' array name inside a <c>.npz</c> file (<c>numpy.savez(path, x=inputs, y=targets)</c>).</summary>
        public string InputsName { get; init; } = "x";

        /// <summary>The targets' array name inside a <c>.npz</c> file.</summary>
        public string TargetsName { get; init; } = "y";

        /// <summary>
        /// The inputs are images stored [N, H, W, C] (as Python image libraries and Keras hold them); each sample is
        /// turned into [C, H, W], the layout the networks take. Never guessed from the shape: an [N, 32, 32, 3] array could
        /// as well be 32 three-channel rows.
        /// </summary>
        public bool ChannelsLast { get; init; }

        /// <summary>
        /// What the targets are; null decides from the type: integer or bool targets [N] are class ids
        /// (<see cref="Data.TargetKind.Class"/>), float targets [N] or [N, K] are values (<see cref="Data.TargetKind.Values"/>,
        /// [1] or [K] per sample). Set <see cref="Data.TargetKind.Class"/> for class ids saved as floats (each must be a
        /// whole number), or <see cref="Data.TargetKind.Values"/> for integer measurements.
        /// </summary>
        public TargetKind? TargetKind { get; init; }
    }
}
