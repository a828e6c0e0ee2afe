using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Dsl.Generator.Graph;
using Dsl.Generator.Layers;
using Dsl.Generator.Model;

namespace Dsl.Generator.Blocks
{
    /// <summary>One argument of a block use: the parameter it names (null: by position), its value and the expression it was written as (null: a constant).</summary>
    internal sealed record BlockArgument(string? Parameter, double Value, string? Expression = null);

    /// <summary>
    /// <c>[Use&lt;TBlock&gt;(arguments)]</c>: a user-declared block used as a layer. Arguments are evaluated where the
    /// use is written (inside another block they read that block's parameters); the block's own layers are read
    /// again for every use with its values (<see cref="BlockBuilder"/>).
    /// </summary>
    /// <remarks><see cref="Inline"/>: the block's layers become children of the module that uses it (no submodule of its own).</remarks>
    internal sealed record UseSpec(string? Name, string Block, string BlockName, EquatableArray<BlockArgument> Arguments, string? Problem, bool Inline = false) : LayerSpec(Name)
    {
        public override string Kind => "Use<" + BlockName + ">";

        /// <summary>invertedResidual1, invertedResidual2, ... (always numbered, so a block named <c>Def</c> gives <c>def1</c>).</summary>
        public override string NamePrefix => NamePolicy.AutomaticPrefix(BlockName, "block");

        public override (string Prefix, bool Numbered) TorchVisionName => (NamePrefix, true);

        [Reads(RawAttribute.Use)]
        public static LayerSpec Read(AttributeReader a)
        {
            var raw = a.Raw;
            string key = raw.Block ?? "";
            // The block's simple name: a generic block's type arguments are no part of it (G<N.T> is G).
            string bare = key.IndexOf('<') is int lt and >= 0 ? key.Substring(0, lt) : key;
            string name = bare.Substring(bare.LastIndexOfAny(new[] { '.', ':' }) + 1);
            var arguments = new List<BlockArgument>();
            string? problem = null;
            foreach (var value in raw.Arguments)
            {
                switch (value.Value)
                {
                    case string text:
                    {
                        // "name = expression" passes a parameter by name; anything else is an expression (a constant at the top level).
                        int eq = text.IndexOf('=');
                        bool named = eq > 0 && (eq + 1 >= text.Length || text[eq + 1] != '=') && "<>!=".IndexOf(text[eq - 1]) < 0;
                        string? parameter = named ? text.Substring(0, eq).Trim() : null;
                        string expression = named ? text.Substring(eq + 1) : text;
                        var v = a.Evaluate(expression, out var error);
                        if (error is not null) problem ??= "argument " + error;
                        arguments.Add(new BlockArgument(parameter, v ?? 0, expression.Trim()));
                        break;
                    }
                    case bool flag:
                        arguments.Add(new BlockArgument(null, flag ? 1 : 0));
                        break;
                    case null:
                        problem ??= "an argument is null; pass numbers, true/false or expressions";
                        break;
                    case sbyte or byte or short or ushort or int or uint or long or ulong or float or double:
                        arguments.Add(new BlockArgument(null, Convert.ToDouble(value.Value, CultureInfo.InvariantCulture)));
                        break;
                    case NotAValue other:
                        problem ??= $"argument {other.Text} is {other.What}, not a number, true/false or an expression; pass one value per parameter (a block parameter is a number)";
                        break;
                    default:
                        // A char, a type, an array: not a value a parameter can take.
                        problem ??= $"argument '{value.Value}' is not a number, true/false or an expression";
                        break;
                }
            }
            return new UseSpec(a.Name, key, name, arguments.ToEquatableArray(), problem, a.Named("Inline", false));
        }

        public override Value Build(GraphBuilder b, string name, Value x) => BlockBuilder.Use(b, name, x, this);
    }
}
