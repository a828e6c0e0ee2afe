using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Layers;
using Dsl.Generator.Model;
using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
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
            var arguments = new List<BlockArgument>();
            BindingError? problem = null;
            foreach (var argument in ReadArguments(raw))
            {
                if (argument.Invalid is { } why)
                {
                    problem ??= new BindingError(why, argument.Position);
                    continue;
                }
                if (argument.Expression is { } expression)
                {
                    var v = a.Evaluate(expression.Text, out var error);
                    if (error is not null) problem ??= new BindingError("argument " + error.Message, argument.Position, expression.Start + error.Start, error.Length);
                    arguments.Add(new BlockArgument(argument.Position, argument.Parameter, v ?? Number.Integer(0), expression.Text, argument.ParameterStart));
                }
                else arguments.Add(new BlockArgument(argument.Position, argument.Parameter, argument.Constant!.Value));
            }
            return new UseSpec(a.Name, key, name, arguments.ToEquatableArray(), problem, a.Named("Inline", false));
        }

        public override Value Build(GraphBuilder b, string name, Value x) => BlockBuilder.Use(b, name, x, this);
    }
}
