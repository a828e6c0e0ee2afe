using System.Globalization;
using Dsl.Generator.Diagnostics;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// The module of a declaration with problems: the class and its public members exist, so code that uses the
    /// network still compiles and the only errors are the DSL diagnostics (a project that lowers their severity
    /// builds); constructing it works, and <c>forward</c> throws an exception that quotes the diagnostics.
    /// </summary>
    internal static class StubEmitter
    {
        public static string Emit(NetworkModel model)
        {
            var spec = model.Spec;
            string className = Identifier.Escape(spec.ClassName);
            string Dims(System.Collections.Generic.IReadOnlyList<int> dims) => System.Linq.Enumerable.All(dims, d => d >= 1) ? string.Join(", ", dims) : "";
            var message = spec.ClassName + " was not generated because its declaration has errors: "
                + string.Join(" ", model.Problems.Select(Describe)) + " Fix the declaration and rebuild.";

            var w = new CodeWriter();
            using (Scopes.Open(w, spec))
            {
                w.Line($"/// <summary>{spec.ClassName} could not be generated: its declaration has errors (see the DSL diagnostics).</summary>");
                w.Line(ModuleEmitter.GeneratedCode);
                using (w.Block($"partial class {className} : {ModuleEmitter.ModuleBase}, global::Dsl.IDeclaredNetwork"))
                {
                    w.Line("/// <summary>What the diagnostics say; <see cref=\"forward\"/> throws it.</summary>");
                    w.Line($"public const string DeclarationErrors = {Identifier.String(message)};");
                    w.Line();
                    w.Line("/// <summary>Creates the module without layers (the declaration has errors).</summary>");
                    w.Line($"public {className}() : base(nameof({className})) {{ }}");
                    w.Line();
                    w.Line("/// <summary>Always throws: the declaration has errors.</summary>");
                    w.Line("/// <exception cref=\"global::System.InvalidOperationException\">Always, with <see cref=\"DeclarationErrors\"/>.</exception>");
                    w.Line($"public override {ModuleEmitter.Tensor} forward({ModuleEmitter.Tensor} input) => throw new global::System.InvalidOperationException(DeclarationErrors);");
                    w.Line();
                    w.Line("/// <summary>The declared input shape (empty when [Input] itself is invalid).</summary>");
                    w.Line($"public static global::Dsl.Shape InputShape {{ get; }} = new global::Dsl.Shape({Dims(spec.Input)});");
                    w.Line("/// <summary>Unknown: the declaration has errors.</summary>");
                    w.Line("public static global::Dsl.Shape OutputShape { get; } = new global::Dsl.Shape();");
                    w.Line("/// <summary>Unknown (0): the declaration has errors.</summary>");
                    w.Line("public const long ParameterCount = 0;");
                    w.Line("/// <summary>Unknown (0): the declaration has errors.</summary>");
                    w.Line("public const long MultiplyAddCount = 0;");
                    w.Line("/// <summary>No layers: the declaration has errors.</summary>");
                    w.Line($"public static global::Dsl.NetworkInfo Info {{ get; }} = new global::Dsl.NetworkInfo({Identifier.String(spec.ClassName)}, InputShape, new global::Dsl.LayerInfo[0]);");
                    w.Line("/// <summary>The layer summary (empty: the declaration has errors).</summary>");
                    w.Line("public static string Summary(long batch = 1) => Info.Summary(batch);");
                    w.Line("/// <summary>No graph: the declaration has errors.</summary>");
                    w.Line("public const string Graph = \"\";");
                    w.Line("/// <inheritdoc/>");
                    w.Line("global::Dsl.NetworkInfo global::Dsl.IDeclaredNetwork.Info => Info;");
                }
            }
            return w.ToString();
        }

        /// <summary>"DSL002: 'conv1' has a 9x9 kernel ..." as the analyzer reports it.</summary>
        private static string Describe(Problem problem)
        {
            var descriptor = Descriptors.For(problem.Code);
            if (descriptor is null) return problem.Code.ToString() + ".";
            string text = string.Format(CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture), problem.Args.Cast<object>().ToArray());
            return descriptor.Id + ": " + text + ".";
        }
    }
}
