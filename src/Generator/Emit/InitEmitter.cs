using System.Globalization;
using System.Text;
using Dsl.Generator.Init;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Writes a network's initialisation rules (<see cref="InitRuleModel"/>): the call to <c>Dsl.Initialization.Apply</c>
    /// at the end of the network's constructor, and the graph JSON's <c>init</c> list in torch.nn.init's own names for
    /// the PyTorch twin. Only the arguments of each rule's scheme are written.
    /// </summary>
    internal static class InitEmitter
    {
        private const string Dsl = "global::Dsl.";

        public static void WriteApply(CodeWriter w, NetworkModel model)
        {
            if (model.Init.Count == 0) return;
            w.Line("// Initialisation rules, in declaration order (a later rule overwrites an earlier one); presets expanded.");
            w.Line(Dsl + "Initialization.Apply(this, new " + Dsl + "InitRule[]");
            w.Line("{");
            foreach (var rule in model.Init)
            {
                var props = new System.Collections.Generic.List<string>();
                if (rule.IsKind) props.Add("IsKind = true");
                switch (rule.Scheme)
                {
                    case InitScheme.KaimingNormal:
                    case InitScheme.KaimingUniform:
                        if (rule.Mode == 1) props.Add("Mode = " + Dsl + "FanMode.FanOut");
                        if (rule.Nonlinearity != "leaky_relu") props.Add("Nonlinearity = " + Identifier.String(rule.Nonlinearity));
                        if (rule.NegativeSlope != 0) props.Add("NegativeSlope = " + Literal.Of(rule.NegativeSlope));
                        break;
                    case InitScheme.XavierUniform:
                    case InitScheme.XavierNormal:
                        if (rule.Gain != 1) props.Add("Gain = " + Literal.Of(rule.Gain));
                        break;
                    case InitScheme.Normal:
                    case InitScheme.TruncNormal:
                        if (rule.Mean != 0) props.Add("Mean = " + Literal.Of(rule.Mean));
                        props.Add("Std = " + Literal.Of(rule.Std));
                        if (rule.Scheme == InitScheme.TruncNormal) { props.Add("Min = " + Literal.Of(rule.Min)); props.Add("Max = " + Literal.Of(rule.Max)); }
                        break;
                    case InitScheme.Uniform:
                        props.Add("Min = " + Literal.Of(rule.Min));
                        props.Add("Max = " + Literal.Of(rule.Max));
                        break;
                    case InitScheme.Constant:
                        props.Add("Value = " + Literal.Of(rule.Value));
                        break;
                }
                if (rule.Bias is double bias) props.Add("Bias = " + Literal.Of(bias));
                string origin = rule.Origin is null ? "" : " // " + rule.Origin;
                string initializer = props.Count == 0 ? "" : " { " + string.Join(", ", props) + " }";
                w.Line($"    new {Dsl}InitRule({Identifier.String(rule.Target)}, {Dsl}InitScheme.{rule.Scheme}){initializer},{origin}");
            }
            w.Line("});");
        }

        /// <summary>torch.nn.init's function (without the trailing underscore) of a scheme; "default" for PyTorch's reset.</summary>
        public static string TorchName(InitScheme scheme) => scheme switch
        {
            InitScheme.KaimingNormal => "kaiming_normal",
            InitScheme.KaimingUniform => "kaiming_uniform",
            InitScheme.XavierUniform => "xavier_uniform",
            InitScheme.XavierNormal => "xavier_normal",
            InitScheme.Normal => "normal",
            InitScheme.TruncNormal => "trunc_normal",
            InitScheme.Uniform => "uniform",
            InitScheme.Constant => "constant",
            InitScheme.Zeros => "zeros",
            InitScheme.Ones => "ones",
            _ => "default",
        };

        /// <summary>The graph JSON's <c>init</c>: <c>[{"target", "kind", "scheme", "args": {torch's keyword arguments}, "bias"?}]</c>.</summary>
        public static void WriteJson(StringBuilder json, NetworkModel model)
        {
            if (model.Init.Count == 0) return;
            json.Append(",\"init\":[").Append(string.Join(",", model.Init.Select(rule =>
            {
                string args = rule.Scheme switch
                {
                    InitScheme.KaimingNormal or InitScheme.KaimingUniform =>
                        "\"a\":" + Literal.Of(rule.NegativeSlope) + ",\"mode\":" + GraphJson.Str(rule.Mode == 1 ? "fan_out" : "fan_in") + ",\"nonlinearity\":" + GraphJson.Str(rule.Nonlinearity),
                    InitScheme.XavierUniform or InitScheme.XavierNormal => "\"gain\":" + Literal.Of(rule.Gain),
                    InitScheme.Normal => "\"mean\":" + Literal.Of(rule.Mean) + ",\"std\":" + Literal.Of(rule.Std),
                    InitScheme.TruncNormal => "\"mean\":" + Literal.Of(rule.Mean) + ",\"std\":" + Literal.Of(rule.Std) + ",\"a\":" + Literal.Of(rule.Min) + ",\"b\":" + Literal.Of(rule.Max),
                    InitScheme.Uniform => "\"a\":" + Literal.Of(rule.Min) + ",\"b\":" + Literal.Of(rule.Max),
                    InitScheme.Constant => "\"val\":" + Literal.Of(rule.Value),
                    _ => "",
                };
                return "{\"target\":" + GraphJson.Str(rule.Target) + ",\"kind\":" + Literal.Of(rule.IsKind) + ",\"scheme\":" + GraphJson.Str(TorchName(rule.Scheme))
                    + ",\"args\":{" + args + "}" + (rule.Bias is double b ? ",\"bias\":" + Literal.Of(b) : "") + "}";
            }))).Append(']');
        }
    }
}
