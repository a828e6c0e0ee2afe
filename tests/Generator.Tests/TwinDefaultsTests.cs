using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using Dsl.Generator.Tests.ResNetFamily;
using Dsl.Runtime.PyTorch;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Generator.Tests
{
    /// <summary>
    /// The twin leaves out every argument the graph marks as TorchSharp's default, so PyTorch's default applies where
    /// TorchSharp's did. For every torch.nn module the twin renders, each argument it may leave out (every keyword
    /// argument of its mapping) has the same default in TorchSharp's factory (<c>torch.nn.Conv2d(...)</c>, read by
    /// reflection) and in PyTorch's class (<c>inspect.signature</c> in /usr/bin/python3). Where TorchSharp's default is
    /// null ("its own choice") and PyTorch's a value, the TorchSharp layer built without the argument must compute what
    /// it computes with PyTorch's value. The modules are every PyTorch constructor a kind declares (read from the graph of
    /// every kind, <see cref="KindGraphs"/>), so a new kind is compared without a list.
    /// </summary>
    public class TwinDefaultsTests
    {
        /// <summary>TorchSharp's default of parameter <paramref name="name"/> of the factory <paramref name="module"/>: the one-number overload's where there are several; null when no overload has one.</summary>
        private static (bool Found, object? Value) TorchSharpDefault(string module, string name)
        {
            var parameters = typeof(nn).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == module)
                .SelectMany(m => m.GetParameters()).Where(p => p.Name == name && p.HasDefaultValue)
                // A tuple or array overload's default (null: "as the scalar overload") says less than the scalar's.
                .OrderBy(p => p.ParameterType.IsArray || (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType).Name.StartsWith("ValueTuple", StringComparison.Ordinal) ? 1 : 0)
                .ToArray();
            return parameters.Length == 0 ? (false, null) : (true, parameters[0].DefaultValue);
        }

        /// <summary>
        /// Whether TorchSharp's <paramref name="module"/> built without <paramref name="name"/> computes what it computes with
        /// <paramref name="name"/> = <paramref name="value"/>: both built by the one-number overload, the required arguments 2,
        /// on one random input of the module's rank (a 1d module a sequence, a 2d one an image).
        /// </summary>
        private static bool LeftOutComputesAs(string module, string name, long value)
        {
            var factory = typeof(nn).GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Single(m => m.Name == module && m.GetParameters().Any(p => p.Name == name && Nullable.GetUnderlyingType(p.ParameterType) == typeof(long)));
            object?[] Arguments(bool given) => factory.GetParameters()
                .Select(p => p.Name == name && given ? value : p.HasDefaultValue ? p.DefaultValue : (object)2L).ToArray();
            using var scope = NewDisposeScope();
            var input = module.EndsWith("1d", StringComparison.Ordinal) ? randn(1, 2, 9) : randn(1, 2, 9, 9);
            using var leftOut = (nn.Module<Tensor, Tensor>)factory.Invoke(null, Arguments(false))!;
            using var written = (nn.Module<Tensor, Tensor>)factory.Invoke(null, Arguments(true))!;
            var a = leftOut.forward(input);
            var b = written.forward(input);
            return a.shape.SequenceEqual(b.shape) && a.allclose(b, rtol: 0, atol: 0);
        }

        /// <summary>A default as comparable text: numbers by value, true/false, None for null, enums by their name in lower case.</summary>
        private static string Text(object? value) => value switch
        {
            null => "None",
            bool b => b ? "True" : "False",
            Enum e => e.ToString().ToLowerInvariant(),
            IConvertible c when value is not string => c.ToDouble(CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
            _ => value.ToString()!,
        };

        /// <summary>
        /// Every argument a kind marks as TorchSharp's default (left out of the generated C# call, and of the twin's) is
        /// TorchSharp's default: a kind that states a wrong default would build another layer than it describes, in both
        /// languages. TorchSharp's null defaults ("its own choice", a pool's stride) are the other test's.
        /// </summary>
        [Fact]
        public void Every_argument_a_kind_leaves_out_has_that_value_as_TorchSharps_default()
        {
            var differ = new List<string>();
            int compared = 0;
            foreach (var (_, declaration, model) in KindGraphs.All)
            {
                foreach (var leaf in model.Root.Descendants().Where(n => n.Form == Graph.NodeForm.Leaf && !n.OwnModule && n.CustomType is null && n.ModuleType != "Embedding"))
                {
                    foreach (var arg in leaf.Args.Where(a => a.IsDefault && a.Param is null))
                    {
                        var (found, value) = TorchSharpDefault(leaf.ModuleType, arg.Name);
                        if (found && value is null) continue;
                        compared++;
                        bool same = found && value switch
                        {
                            bool b => arg.Value == (b ? "true" : "false"),
                            Enum e => arg.Value.Trim('"').Equals(e.ToString(), StringComparison.OrdinalIgnoreCase),
                            IConvertible c when value is not string => double.TryParse(arg.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                                && d == c.ToDouble(CultureInfo.InvariantCulture),
                            _ => arg.Value.Trim('"') == value!.ToString(),
                        };
                        if (!same) differ.Add($"{leaf.ModuleType}.{arg.Name} = {arg.Value} (from {declaration}): TorchSharp's default is {(found ? Text(value) : "none")}");
                    }
                }
            }
            Assert.True(compared > 10, compared + " arguments compared");
            Assert.True(differ.Count == 0, "arguments marked as TorchSharp's default that are not:\n" + string.Join("\n", differ.Distinct()));
        }

        [SkippableFact]
        public void Every_argument_the_twin_may_leave_out_has_PyTorchs_default_in_TorchSharp()
        {
            Skip.If(PythonOracle.MissingReason is not null, PythonOracle.MissingReason);
            var compared = new List<(string Module, string Class, string Graph, string PyTorch, string TorchSharp)>();
            // Every module's declared constructor, with every argument it may write: its declared list, or (a constructor taking
            // the leaf's own arguments) every argument any leaf of the module has (ReLU's inplace comes from a stem, not from [ReLU]).
            var declared = KindGraphs.All.SelectMany(b => KindGraphs.RuntimeGraph(b.Model).Root.Descendants())
                .Where(n => n.Declared is not null).GroupBy(n => n.Module, StringComparer.Ordinal)
                .Select(g => (Module: g.Key, g.First().Declared!.PyTorch.Class,
                    Arguments: g.SelectMany(n => n.Declared!.PyTorch.For(n)).Distinct().ToArray()));
            foreach (var (module, constructor, arguments) in declared.Where(l => l.Class.StartsWith("nn.", StringComparison.Ordinal)))
            {
                foreach (var argument in arguments.Where(a => !a.Positional))
                {
                    var (found, value) = TorchSharpDefault(module, argument.Graph);
                    // Without a TorchSharp default the graph never marks the argument as one: the twin always writes it.
                    if (found) compared.Add((module, constructor.Substring("nn.".Length), argument.Graph, argument.PyTorch, Text(value)));
                }
            }
            Assert.True(compared.Count > 30, compared.Count + " arguments compared");

            const string script = """
                import inspect, json, sys
                import torch.nn as nn
                out = {}
                for cls, name in json.load(open(sys.argv[1])):
                    p = inspect.signature(getattr(nn, cls)).parameters.get(name)
                    d = "missing" if p is None else p.default
                    if d is inspect.Parameter.empty: d = "required"
                    out[cls + "." + name] = d if isinstance(d, str) else "None" if d is None else str(d) if isinstance(d, bool) else repr(float(d))
                print(json.dumps(out))
                """;
            string folder = Path.Combine(Path.GetTempPath(), "dsl-twin-defaults-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            Dictionary<string, string> python;
            try
            {
                File.WriteAllText(Path.Combine(folder, "defaults.py"), script);
                File.WriteAllText(Path.Combine(folder, "request.json"), JsonSerializer.Serialize(compared.Select(c => new[] { c.Class, c.PyTorch })));
                var (code, output, error) = PythonOracle.Run($"\"{Path.Combine(folder, "defaults.py")}\" \"{Path.Combine(folder, "request.json")}\"", TimeSpan.FromMinutes(2));
                Assert.True(code == 0, output + error);
                python = JsonSerializer.Deserialize<Dictionary<string, string>>(output)!;
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            static string Number(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : text;
            var differ = new List<string>();
            foreach (var c in compared)
            {
                string pytorch = Number(python[c.Class + "." + c.PyTorch]);
                if (pytorch == c.TorchSharp) continue;
                if (c.TorchSharp == "None" && double.TryParse(pytorch, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                    && LeftOutComputesAs(c.Module, c.Graph, (long)value)) continue;
                differ.Add($"{c.Module}.{c.Graph}: TorchSharp {c.TorchSharp}, PyTorch {pytorch}");
            }
            Assert.True(differ.Count == 0, "defaults the twin relies on differ:\n" + string.Join("\n", differ));
        }
    }
}
