using Dsl.Generator.Blocks.Language;

namespace Dsl.Generator.Blocks
{
    /// <summary>One argument of a <c>[Use&lt;T&gt;]</c> as written, before any value is known.</summary>
    /// <param name="Position">Its index among the use's arguments (<c>"#i"</c>).</param>
    /// <param name="Parameter">The parameter it names (<c>"stride = 2"</c>); null: by position.</param>
    /// <param name="ParameterStart">Where that name is in the argument's string.</param>
    /// <param name="Expression">The expression, with where it starts in the string; null for a constant.</param>
    /// <param name="Constant">The value of a number or true/false written as C#.</param>
    /// <param name="Invalid">Why the argument is no value a parameter can take (a type, an array, null); null when it is one.</param>
    internal sealed record UseArgument(int Position, string? Parameter, int ParameterStart, Segment? Expression, Number? Constant, string? Invalid);

    /// <summary>What is wrong with how a use binds its arguments, and where: the argument (-1: the whole use) and the piece of its string.</summary>
    internal sealed record BindingError(string Message, int Position, int Start = -1, int Length = 0, string? Replacement = null);

    /// <summary>
    /// Binds a use's arguments to a block's parameters, by position then by name (<c>"stride = 2"</c>), as Python binds a
    /// call: too many, an unknown name (with the parameters, nearest first), a parameter given twice and a missing one
    /// are errors. The same check runs where a block uses another (at the block, once) and at a network's use.
    /// </summary>
    internal static class Binding
    {
        /// <summary>"ConvBlock(c, s = 1)".</summary>
        public static string Signature(BlockDecl decl) =>
            decl.Name + "(" + string.Join(", ", decl.Parameters.Select(p => p.Default is null ? p.Name : p.Name + " = " + p.Default)) + ")";

        /// <summary>The parameter each argument binds to (by its position in <paramref name="arguments"/>), or the first problem.</summary>
        public static BindingError? Check(BlockDecl decl, IReadOnlyList<UseArgument> arguments) =>
            Bind(decl, arguments.Select(a => (a.Position, a.Parameter, a.ParameterStart)).ToList(), out _);

        /// <param name="decl">The block used.</param>
        /// <param name="arguments">Each argument's position among the use's arguments, the parameter it names (null: by position) and where that name is written.</param>
        /// <param name="parameters">The parameter each argument binds to.</param>
        public static BindingError? Bind(BlockDecl decl, IReadOnlyList<(int Position, string? Parameter, int ParameterStart)> arguments, out string[] parameters)
        {
            parameters = new string[arguments.Count];
            var given = new HashSet<string>(System.StringComparer.Ordinal);
            string signature = Signature(decl);
            for (int i = 0; i < arguments.Count; i++)
            {
                var argument = arguments[i];
                string? parameter = argument.Parameter;
                if (parameter is null)
                {
                    if (i >= decl.Parameters.Count)
                        return new BindingError($"{arguments.Count} arguments given, but it takes {decl.Parameters.Count}: {signature}", argument.Position);
                    parameter = decl.Parameters[i].Name;
                }
                else if (decl.Parameters.All(p => p.Name != parameter))
                {
                    var nearest = Model.Nearest.Order(parameter, decl.Parameters.Select(p => p.Name));
                    string which = nearest.Count == 0 ? "it has no parameters" : "its parameters, nearest first: " + string.Join(", ", nearest);
                    return new BindingError($"it has no parameter '{parameter}'; {which}: {signature}", argument.Position, argument.ParameterStart, parameter.Length, nearest.FirstOrDefault());
                }
                if (!given.Add(parameter)) return new BindingError($"'{parameter}' is given twice: {signature}", argument.Position);
                parameters[i] = parameter;
            }
            foreach (var parameter in decl.Parameters)
            {
                if (!given.Contains(parameter.Name) && parameter.Default is null) return new BindingError($"missing argument '{parameter.Name}': {signature}", -1);
            }
            return null;
        }
    }
}
