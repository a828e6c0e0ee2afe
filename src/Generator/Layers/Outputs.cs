
namespace Dsl.Generator.Model
{
    // The network-level attributes that shape the top-level dataflow rather than add a module: [Output], [Merge] and
    // [Backbone<T>]. They read and name values of the network's forward (GraphBuilder.Named), so they exist only at the top level.

    /// <summary><c>[Output("name", From = ..., Auxiliary = ..., LossWeight = ...)]</c>: a named output of the network (no module).</summary>
    internal sealed record OutputSpec(string? Name, string Output, bool Auxiliary, double LossWeight) : LayerSpec(Name)
    {
        public override string Kind => "Output";
        public override string NamePrefix => "output";

        [Reads("OutputAttribute", TopLevelOnly = true)]
        public static LayerSpec Read(AttributeReader a) =>
            new OutputSpec(a.Name, a.Raw.Arguments.Count > 0 ? a.Raw.Arguments[0].Value as string ?? "" : "", a.Named("Auxiliary", false), a.Named("LossWeight", 0.0));

        public override void Validate(Validation v)
        {
            if (Name is not null) v.Report(ProblemCode.InvalidOutput, "Name", Output, "is named by its first argument; remove Name");
            else if (NameProblem(Output) is { } why) v.Report(ProblemCode.InvalidOutput, "name", Output, NamePolicy.WithSuggestion(why, Output, NameProblem, _ => true));
            else if (LossWeight < 0 || double.IsNaN(LossWeight) || double.IsInfinity(LossWeight)) v.Invalid("LossWeight", LossWeight, "a finite number, at least 0");
        }

        /// <summary>
        /// Why <paramref name="name"/> cannot name an output: it is a property of the generated <c>Outputs</c> (a keyword is
        /// escaped there, <c>@out</c>) and a key elsewhere, so it must be spelled as a name in both languages, and not be a
        /// member <c>Outputs</c> inherits or the class's own name.
        /// </summary>
        public static string? NameProblem(string name) =>
            NamePolicy.ParameterProblem(name)
            ?? (name is "Outputs" or "Names" or "All" or "Dispose" or "Equals" or "GetHashCode" or "GetType" or "ToString" or "MemberwiseClone" or "Finalize"
                ? "it is a member of the generated Outputs class" : null);

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!b.AtTopLevel(Kind)) return x;
            if (b.Outputs.Any(o => o.Name == Output))
            {
                b.ReportAt(ProblemCode.InvalidOutput, "name", Output, "is declared twice; give each output its own name");
                return x;
            }
            b.Outputs.Add(new OutputModel(Output, x.Var, x.Shape, Auxiliary, LossWeight, b.Index));
            return x;
        }
    }

    /// <summary><c>[Merge(Merge.Concat, "a", "b")]</c>: named values merged at the top level (no module).</summary>
    internal sealed record MergeSpec(string? Name, int How, EquatableArray<string> Values) : LayerSpec(Name)
    {
        public override string Kind => "Merge";
        public override string NamePrefix => "merge";

        [Reads("MergeAttribute", TopLevelOnly = true)]
        public static LayerSpec Read(AttributeReader a) =>
            new MergeSpec(a.Name, a.Int(0), a.Raw.Arguments.Skip(1).Select(v => v.Value as string ?? "").ToEquatableArray());

        private static readonly string[] HowNames = { "None", "Add", "Concat", "Multiply" };

        public override void Validate(Validation v)
        {
            if (How is < 1 or > 3) v.Invalid("merge", How < 0 || How >= HowNames.Length ? How.ToString(System.Globalization.CultureInfo.InvariantCulture) : "Merge." + HowNames[How], "Merge.Add, Merge.Concat or Merge.Multiply");
            else if (Values.Count < 2 || (How == 3 && Values.Count != 2)) v.Invalid("values", Values.Count + " value" + (Values.Count == 1 ? "" : "s"), How == 3 ? "exactly two names" : "two or more names");
            else if (From is not null) v.Report(ProblemCode.InvalidValue, "From", v.Name, "From", From, "nothing: a merge names the values it reads");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!b.AtTopLevel(Kind)) return x;
            var values = new List<Value>();
            for (int i = 0; i < Values.Count; i++)
            {
                // "#i": the i-th positional argument (the kind is the first), where the name is written.
                if (b.Lookup(Values[i], "#" + (i + 1), "[Merge]") is not { } found) return x;
                values.Add(found);
            }
            string merge = HowNames[How];
            var first = values[0];
            for (int i = 1; i < values.Count; i++)
            {
                var a = first.Shape;
                var f = values[i].Shape;
                bool ok = How == 2
                    ? a.Count == f.Count && a.Count > 0 && Enumerable.Range(1, a.Count - 1).All(d => a[d] == f[d])
                    : a == f;
                if (ok) continue;
                string hint = How == 2
                    ? "Concat joins channels, so every other dimension must agree: give both the same size (strides, pools), or pool one of them"
                    : $"{merge} needs the same shape: give '{Values[i]}' {GraphBuilder.Format(a)} (its channels and size), or merge with Concat";
                b.ReportAt(ProblemCode.MergedShapesDiffer, "#" + (i + 1), name, merge, Values[0], GraphBuilder.Format(a), Values[i], GraphBuilder.Format(f), hint);
                return x;
            }
            if (How == 2)
            {
                var dims = first.Shape.ToArray();
                dims[0] = b.Checked(() => values.Sum(v => v.Shape[0]), name, null);
                return b.Merge(StepOp.Concat, new EquatableArray<long>(dims), values.ToArray());
            }
            var result = b.Merge(How == 1 ? StepOp.Add : StepOp.Multiply, first.Shape, values[0], values[1]);
            for (int i = 2; i < values.Count; i++) result = b.Merge(StepOp.Add, first.Shape, result, values[i]);
            return result;
        }
    }

    /// <summary>
    /// <c>[Backbone&lt;T&gt;(Until = "layer4")]</c>: network <see cref="Network"/>'s layers up to <see cref="Until"/>, with the
    /// names that network gives them, built here as this network's own top-level layers. The parser fills in the layers
    /// (it sees the network's symbol); <see cref="Problem"/> says why they cannot be taken.
    /// </summary>
    internal sealed record BackboneSpec(string? Name, string Network, string? Until, EquatableArray<LayerSpec> Layers, EquatableArray<string> Names, string? Problem) : LayerSpec(Name)
    {
        public override string Kind => "Backbone<" + Network + ">";
        public override string NamePrefix => "backbone";

        public const string AttributeName = "BackboneAttribute";

        [Reads(AttributeName, TopLevelOnly = true)]
        public static LayerSpec Read(AttributeReader a) =>
            new BackboneSpec(a.Name, "", a.Raw.NamedValue("Until")?.Value as string, EquatableArray<LayerSpec>.Empty, EquatableArray<string>.Empty, null);

        public override void Validate(Validation v)
        {
            if (Problem is not null) v.Report(ProblemCode.InvalidValue, null, Kind, "TNetwork", Network, Problem);
            else if (Name is not null) v.Report(ProblemCode.InvalidValue, "Name", Kind, "Name", Name, "nothing: the backbone's layers keep the names the network gives them");
            else if (From is not null) v.Report(ProblemCode.InvalidValue, "From", Kind, "From", From, "nothing: the backbone reads the network's input");
        }

        public override Value Build(GraphBuilder b, string name, Value x)
        {
            if (!b.AtTopLevel(Kind)) return x;
            for (int i = 0; i < Layers.Count && !b.Failed; i++)
            {
                var problems = new List<Problem>();
                Layers[i].Validate(new Validation(problems, b.Index, Names[i]));
                if (problems.Count > 0)
                {
                    b.ReportWhole(ProblemCode.InvalidValue, Kind, "TNetwork", Network, $"its layer '{Names[i]}' is invalid here: fix it in {Network}");
                    return x;
                }
                x = b.BuildNamed(Layers[i], Names[i], x);
            }
            return x;
        }
    }
}
