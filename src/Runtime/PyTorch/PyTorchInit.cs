using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>
    /// One initialisation rule of the graph (<c>init</c>, docs/graph-format.md): a layer kind or a path glob, a
    /// torch.nn.init function (<c>kaiming_normal</c>, ..., or <c>default</c>) with its keyword arguments, and the bias value.
    /// </summary>
    internal sealed record GraphInitRule(string Target, bool IsKind, string Scheme, IReadOnlyList<(string Name, JsonElement Value)> Args, double? Bias);

    /// <summary>
    /// The twin's initialisation: the graph's rules written as a list in the network's <c>__init__</c> and applied by
    /// <c>_initialize</c>, which calls torch.nn.init's own functions with the same selection rules as
    /// <c>Dsl.Initialization.Apply</c> (kinds by class name, globs over module and parameter paths, in order).
    /// </summary>
    internal static class PyTorchInit
    {
        /// <summary>The helper functions written into model.py when the network has rules.</summary>
        public const string Helper =
            "def _initialize(network: nn.Module, rules: list) -> None:\n" +
            "    \"\"\"Applies the network's initialisation rules in order, as Dsl.Initialization does for the .NET module.\n\n" +
            "    A rule is (target, is_kind, scheme, kwargs, bias): the target is a layer kind (the module's class name) or a\n" +
            "    glob over module and parameter paths ('*' within one segment, '**' across segments); the scheme, a torch.nn.init\n" +
            "    function called with kwargs, fills a selected module's weight (an attention's in_proj_weight) or the selected\n" +
            "    parameter; bias, when not None, is the selected modules' bias; 'default' is the module's own reset.\n" +
            "    \"\"\"\n" +
            "    modules = [(name, m) for name, m in network.named_modules() if name]\n" +
            "    parameters = list(network.named_parameters())\n" +
            "    with torch.no_grad():\n" +
            "        for target, is_kind, scheme, kwargs, bias in rules:\n" +
            "            if is_kind:\n" +
            "                selected, tensors = [m for _, m in modules if _kind(m) == target], []\n" +
            "            else:\n" +
            "                pattern = _glob(target)\n" +
            "                selected = [m for name, m in modules if pattern.fullmatch(name)]\n" +
            "                tensors = [p for name, p in parameters if pattern.fullmatch(name)]\n" +
            "            for m in selected:\n" +
            "                weight = m._parameters.get(\"weight\", m._parameters.get(\"in_proj_weight\"))\n" +
            "                b = m._parameters.get(\"bias\", m._parameters.get(\"in_proj_bias\"))\n" +
            "                if weight is None:\n" +
            "                    continue\n" +
            "                if scheme == \"default\":\n" +
            "                    (m.reset_parameters if hasattr(m, \"reset_parameters\") else m._reset_parameters)()\n" +
            "                else:\n" +
            "                    getattr(nn.init, scheme + \"_\")(weight, **kwargs)\n" +
            "                if bias is not None and b is not None:\n" +
            "                    nn.init.constant_(b, bias)\n" +
            "            for p in tensors:\n" +
            "                if scheme == \"default\":\n" +
            "                    bound = 1 / math.sqrt(nn.init._calculate_fan_in_and_fan_out(p)[0])\n" +
            "                    nn.init.uniform_(p, -bound, bound)\n" +
            "                else:\n" +
            "                    getattr(nn.init, scheme + \"_\")(p, **kwargs)\n" +
            "\n\n" +
            "def _kind(module: nn.Module) -> str:\n" +
            "    # nn.MultiheadAttention's out_proj is a subclass of Linear; the .NET module's is a Linear.\n" +
            "    return \"Linear\" if isinstance(module, nn.Linear) else type(module).__name__\n" +
            "\n\n" +
            "def _glob(pattern: str) -> \"re.Pattern[str]\":\n" +
            "    parts = re.split(r\"(\\*\\*|\\*|\\?)\", pattern)\n" +
            "    return re.compile(\"\".join({\"**\": \".*\", \"*\": \"[^.]*\", \"?\": \"[^.]\"}.get(p, re.escape(p)) for p in parts))\n";

        /// <summary>Reads the graph's <c>init</c> list (empty when the network keeps PyTorch's defaults).</summary>
        public static IReadOnlyList<GraphInitRule> Read(JsonElement root) =>
            root.TryGetProperty("init", out var init)
                ? init.EnumerateArray().Select(r => new GraphInitRule(
                    r.GetProperty("target").GetString()!,
                    r.GetProperty("kind").GetBoolean(),
                    r.GetProperty("scheme").GetString()!,
                    r.GetProperty("args").EnumerateObject().Select(a => (a.Name, a.Value.Clone())).ToList(),
                    r.TryGetProperty("bias", out var bias) ? bias.GetDouble() : null)).ToList()
                : new List<GraphInitRule>();

        /// <summary>The <c>_initialize(self, [...])</c> call ending the network's <c>__init__</c>.</summary>
        public static void WriteCall(StringBuilder w, IReadOnlyList<GraphInitRule> rules, string indent)
        {
            if (rules.Count == 0) return;
            w.Append(indent).Append("# Initialisation rules in declaration order (a later rule overwrites an earlier one); presets expanded.\n");
            w.Append(indent).Append("_initialize(self, [\n");
            foreach (var rule in rules)
            {
                string kwargs = "{" + string.Join(", ", rule.Args.Select(a => PythonText.String(a.Name) + ": " + Value(a.Value))) + "}";
                w.Append(indent).Append("    (").Append(PythonText.String(rule.Target)).Append(", ").Append(rule.IsKind ? "True" : "False").Append(", ")
                 .Append(PythonText.String(rule.Scheme)).Append(", ").Append(kwargs).Append(", ")
                 .Append(rule.Bias is double b ? Float(b) : "None").Append("),\n");
            }
            w.Append(indent).Append("])\n");
        }

        private static string Value(JsonElement value) =>
            value.ValueKind == JsonValueKind.String ? PythonText.String(value.GetString()!) : Float(value.GetDouble());

        private static string Float(double value)
        {
            string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", System.StringComparison.Ordinal);
            return text.IndexOfAny(new[] { '.', 'e', 'N', 'I' }) < 0 ? text + ".0" : text;
        }
    }
}
