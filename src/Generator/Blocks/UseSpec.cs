using System.Globalization;
using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>A name and its value, as a use keeps the values its arguments read.</summary>
    internal sealed record NamedNumber(string Name, Number Value);

    /// <summary>
    /// One argument of a block use, evaluated: its position among the use's arguments, the parameter it names (null: by
    /// position), its value and the expression it was written as (null: a constant).
    /// </summary>
    internal sealed record BlockArgument(int Position, string? Parameter, Number Value, string? Expression = null, int ParameterStart = -1);

    /// <summary>
    /// <c>[Use&lt;TBlock&gt;(arguments)]</c>: a user-declared block used as a layer. Arguments are evaluated where the
    /// use is written (inside another block they read that block's parameters); the block's own layers are read
    /// again for every use with its values (<see cref="BlockBuilder"/>).
    /// </summary>
    /// <remarks><see cref="Inline"/>: the block's layers become children of the module that uses it (no submodule of its own).</remarks>
    internal sealed record UseSpec(string? Name, string Block, string BlockName, EquatableArray<BlockArgument> Arguments, BindingError? Problem, bool Inline = false) : LayerSpec(Name)
    {
        /// <summary>The arguments as written, evaluated when the use is built (<see cref="Evaluate"/>); empty for a use made with its values.</summary>
        public EquatableArray<UseArgument> Written { get; init; } = EquatableArray<UseArgument>.Empty;

        /// <summary>The values the written arguments read (the enclosing block's parameters, <c>in</c>, <c>last</c>).</summary>
        public EquatableArray<NamedNumber> Names { get; init; } = EquatableArray<NamedNumber>.Empty;

        /// <summary>Whether the use sets <c>Repeat</c> (then each repetition reads <c>i</c> and <c>block_id</c>).</summary>
        public bool Repeated { get; init; }

        /// <summary>How many times the use repeats (expanded by the block that holds it).</summary>
        public int Repeat { get; init; } = 1;

        /// <summary>This repetition's index (<c>i</c>); -1 before the expansion.</summary>
        public int Index { get; init; } = -1;

        /// <summary>
        /// This use with its arguments evaluated with its names (and, repeated, <c>i</c>, <c>block_id</c> and
        /// <c>block_count</c>), or with the first problem; the number of expressions evaluated in <paramref name="evaluations"/>.
        /// </summary>
        public UseSpec Evaluate(RepeatCounter repeats, out int evaluations)
        {
            evaluations = 0;
            if (Problem is not null || Written.Count == 0) return this;
            var names = Names.ToDictionary(n => n.Name, n => n.Value, StringComparer.Ordinal);
            if (Repeated)
            {
                names[RepeatCounter.Index] = Number.Integer(Math.Max(Index, 0));
                names[RepeatCounter.Id] = Number.Integer(repeats.Next++);
                names[RepeatCounter.Count] = Number.Integer(repeats.Total ?? RepeatCounter.Placeholder);
            }
            var arguments = new List<BlockArgument>();
            foreach (var argument in Written)
            {
                if (argument.Expression is { } expression)
                {
                    evaluations++;
                    // A layer kind, written ("Hardswish") or passed on by a layer parameter's name ("act"), is taken whole.
                    if (Expression.IsName(expression.Text) && (names.TryGetValue(expression.Text, out var named) ? named.IsLayer : LayerKindSpec.IsKind(expression.Text)))
                    {
                        arguments.Add(new BlockArgument(argument.Position, argument.Parameter, named.IsLayer ? named : Number.Kind(expression.Text), expression.Text, argument.ParameterStart));
                        continue;
                    }
                    var v = Expression.Evaluate(expression.Text, names, out var error);
                    // A capitalised name that is no value and no kind is most likely a misspelled kind ("Relu").
                    if (error is not null && Expression.IsName(expression.Text) && char.IsUpper(expression.Text[0]) && !names.ContainsKey(expression.Text))
                        error = new ExpressionError(expression.Text, 0, expression.Text.Length, $"'{expression.Text}' is no layer kind; the nearest: "
                            + string.Join(", ", Model.Nearest.Order(expression.Text, LayerKindSpec.Kinds).Take(5)));
                    if (error is not null) return this with { Problem = new BindingError("argument " + error.Message, argument.Position, expression.Start + error.Start, error.Length), Written = EquatableArray<UseArgument>.Empty };
                    arguments.Add(new BlockArgument(argument.Position, argument.Parameter, v!.Value, expression.Text, argument.ParameterStart));
                }
                else arguments.Add(new BlockArgument(argument.Position, argument.Parameter, argument.Constant!.Value));
            }
            return this with { Arguments = arguments.ToEquatableArray(), Written = EquatableArray<UseArgument>.Empty };
        }

        public override string Kind => "Use<" + BlockName + ">";

        /// <summary>invertedResidual1, invertedResidual2, ... (always numbered, so a block named <c>Def</c> gives <c>def1</c>).</summary>
        public override string NamePrefix => NamePolicy.AutomaticPrefix(BlockName, "block");

        public override (string Prefix, bool Numbered) TorchVisionName => (NamePrefix, true);

        /// <summary>
        /// The use's arguments as written: <c>"name = expression"</c> passes a parameter by name, any other string is an
        /// expression, a number or true/false a constant; a type, an array or null is no value.
        /// </summary>
        public static List<UseArgument> ReadArguments(RawAttribute raw)
        {
            var arguments = new List<UseArgument>();
            for (int i = 0; i < raw.Arguments.Count; i++)
            {
                object? value = raw.Arguments[i].Value;
                switch (value)
                {
                    case string text:
                    {
                        var whole = Segment.Trimmed(text, 0, text.Length);
                        bool named = Expression.TrySplitAssignment(whole, out var name, out var expression) && Expression.IsName(name.Text);
                        arguments.Add(named
                            ? new UseArgument(i, name.Text, name.Start, expression, null, null)
                            : new UseArgument(i, null, -1, whole, null, null));
                        break;
                    }
                    case bool flag:
                        arguments.Add(new UseArgument(i, null, -1, null, Number.Bool(flag), null));
                        break;
                    case null:
                        arguments.Add(new UseArgument(i, null, -1, null, null, "an argument is null; pass numbers, true/false or expressions"));
                        break;
                    case sbyte or byte or short or ushort or int or uint or long or ulong:
                        arguments.Add(new UseArgument(i, null, -1, null, Number.Integer(Convert.ToDouble(value, CultureInfo.InvariantCulture)), null));
                        break;
                    case float or double:
                        arguments.Add(new UseArgument(i, null, -1, null, Number.Real(Convert.ToDouble(value, CultureInfo.InvariantCulture)), null));
                        break;
                    case NotAValue other:
                        arguments.Add(new UseArgument(i, null, -1, null, null, $"argument {other.Text} is {other.What}, not a number, true/false or an expression; pass one value per parameter (a block parameter is a number)"));
                        break;
                    default:
                        // A char, a type, an array: not a value a parameter can take.
                        arguments.Add(new UseArgument(i, null, -1, null, null, $"argument '{value}' is not a number, true/false or an expression"));
                        break;
                }
            }
            return arguments;
        }

        [Reads(RawAttribute.Use)]
        public static LayerSpec Read(AttributeReader a)
        {
            var raw = a.Raw;
            string key = raw.Block ?? "";
            // The block's simple name: a generic block's type arguments are no part of it (G<N.T> is G).
            string bare = key.IndexOf('<') is int lt and >= 0 ? key.Substring(0, lt) : key;
            string name = bare.Substring(bare.LastIndexOfAny(new[] { '.', ':' }) + 1);
            var written = ReadArguments(raw);
            BindingError? problem = written.Where(w => w.Invalid is not null).Select(w => new BindingError(w.Invalid!, w.Position)).FirstOrDefault();
            bool repeated = raw.NamedValue("Repeat") is not null || a.ExpressionOf("Repeat") is not null;
            return new UseSpec(a.Name, key, name, EquatableArray<BlockArgument>.Empty, problem, a.Named("Inline", false))
            {
                Written = problem is null ? written.ToEquatableArray() : EquatableArray<UseArgument>.Empty,
                Names = a.Names.Select(n => new NamedNumber(n.Key, n.Value)).ToEquatableArray(),
                Repeated = repeated,
                Repeat = a.Named("Repeat", 1),
            };
        }

        public override Value Build(GraphBuilder b, string name, Value x) => BlockBuilder.Use(b, name, x, this);
    }
}
