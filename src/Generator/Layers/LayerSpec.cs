
namespace Dsl.Generator.Model
{
    /// <summary>
    /// One declared layer attribute, read into plain equatable values. Each kind is one record in one file under
    /// Layers/: how its attribute is read (a static <c>Read</c>, registered in <see cref="Layers.LayerRegistry"/>),
    /// validated (<see cref="Validate"/>), and built into the network graph with its shapes (<see cref="Build"/>).
    /// The emitters only walk the graph, so nothing else knows what a kind contains.
    /// </summary>
    internal abstract record LayerSpec(string? Name)
    {
        /// <summary>At a network's top level: the named value (an input or an earlier layer) the layer reads instead of the previous layer's output.</summary>
        public string? From { get; init; }

        /// <summary>
        /// The attribute name as the user writes it, e.g. "Conv2d": the record's name without "Spec" (<c>ELUSpec</c> is
        /// <c>[ELU]</c>), so a kind file names its kind once; a record reading several attributes overrides it.
        /// </summary>
        public virtual string Kind => KindOf(GetType());

        /// <summary>A kind record's kind: its name without "Spec" (<c>ELUSpec</c>: <c>ELU</c>).</summary>
        internal static string KindOf(System.Type record) =>
            record.Name.EndsWith("Spec", System.StringComparison.Ordinal) ? record.Name.Substring(0, record.Name.Length - 4) : record.Name;

        /// <summary>Prefix of automatic names: conv -> conv1, conv2...; the kind in lower case unless the kind says otherwise (ELU: elu1).</summary>
        public virtual string NamePrefix => Kind.ToLowerInvariant();

        /// <summary>Whether the automatic name is numbered (conv1) or plain (stem, head).</summary>
        public virtual bool NumberedName => true;

        /// <summary>torchvision's automatic name: prefix and whether it is numbered from the first of its kind.</summary>
        public virtual (string Prefix, bool Numbered) TorchVisionName => (NamePrefix, false);

        /// <summary>Whether this layer ends the network (nothing may follow it).</summary>
        public virtual bool IsHead => false;

        /// <summary>Checks the arguments that do not depend on the incoming shape.</summary>
        public virtual void Validate(Validation v) { }

        /// <summary>Adds this layer to the graph as submodule <paramref name="name"/>, applied to <paramref name="x"/>.</summary>
        public abstract Value Build(GraphBuilder b, string name, Value x);
    }

    /// <summary>Collects argument problems of one attribute (shape-independent checks).</summary>
    internal sealed class Validation
    {
        private readonly List<Problem> _problems;
        private readonly System.Func<string?, string?> _at;

        public Validation(List<Problem> problems, int index, string name, System.Func<string?, string?>? at = null)
        {
            _problems = problems; Index = index; Name = name; _at = at ?? (argument => argument);
        }

        public int Index { get; }

        /// <summary>The layer's resolved name, as messages show it.</summary>
        public string Name { get; }

        public int Count => _problems.Count;

        public void AtLeast(string argument, long value, long min)
        {
            if (value < min) Invalid(argument, value, "at least " + min);
        }

        /// <summary>A number above 0 (NaN is not).</summary>
        public void Positive(string argument, double value)
        {
            if (!(value > 0)) Invalid(argument, value, "greater than 0");
        }

        /// <summary>A number in [0, 1] (a momentum, a probability).</summary>
        public void Fraction(string argument, double value)
        {
            if (!(value >= 0 && value <= 1)) Invalid(argument, value, "in [0, 1]");
        }

        /// <summary>A number neither NaN nor infinite.</summary>
        public void Finite(string argument, double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value)) Invalid(argument, value, "a finite number");
        }

        /// <summary>Any other problem of this attribute, at <paramref name="argument"/> (null: the whole attribute).</summary>
        public void Report(ProblemCode code, string? argument, params object[] args) =>
            _problems.Add(Problem.At(code, Index, _at(argument), args));

        public void Invalid(string argument, object value, string allowed) =>
            _problems.Add(Problem.At(ProblemCode.InvalidValue, Index, _at(argument), Name, argument, value, allowed));
    }
}
