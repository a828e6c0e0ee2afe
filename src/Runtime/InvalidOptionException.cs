namespace Dsl.Runtime
{
    /// <summary>
    /// A setting that cannot work (a NaN learning rate, a negative batch size, an output folder that is a file...).
    /// The message names the setting, what it accepts and what it got; <see cref="Option"/> is the name of the
    /// property or parameter, so a command line can say which of its own options is wrong (see <see cref="Rename"/>).
    /// </summary>
    /// <param name="option">The property or parameter, e.g. <c>LearningRate</c>.</param>
    /// <param name="requirement">What it accepts, completing "must be ...", e.g. "a finite number greater than 0".</param>
    /// <param name="actual">What it got, e.g. "NaN".</param>
    public sealed class InvalidOptionException(string option, string requirement, string actual) : ArgumentException($"{option} must be {requirement}; got {actual}.")
    {
        /// <summary>The property or parameter that is wrong.</summary>
        public string Option { get; } = option;

        /// <summary>What it accepts.</summary>
        public string Requirement { get; } = requirement;

        /// <summary>What it got.</summary>
        public string Actual { get; } = actual;

        /// <summary>The same problem reported under another name (a command-line option such as <c>--lr</c>).</summary>
        public InvalidOptionException Rename(string option) => new(option, Requirement, Actual);
    }
}
