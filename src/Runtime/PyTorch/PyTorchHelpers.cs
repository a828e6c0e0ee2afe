using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>
    /// What the twin needs beyond torch.nn: the layers torchvision defines itself (Permute, LayerNorm2d,
    /// StochasticDepth), written into the twin as small classes with torchvision's behaviour and state_dict keys (so the
    /// twin needs no torchvision), and a block's own parameter tensors (a layer scale).
    /// </summary>
    internal static class PyTorchHelpers
    {
        private static readonly Dictionary<string, string> Classes = new(System.StringComparer.Ordinal)
        {
            ["Permute"] =
                "class Permute(nn.Module):\n" +
                "    \"\"\"torchvision.ops.Permute: x.permute(dims), the batch dimension included.\"\"\"\n\n" +
                "    def __init__(self, dims: list) -> None:\n" +
                "        super().__init__()\n" +
                "        self.dims = dims\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        return x.permute(self.dims)\n",
            ["LayerNorm2d"] =
                "class LayerNorm2d(nn.LayerNorm):\n" +
                "    \"\"\"torchvision's LayerNorm2d: LayerNorm over the channels of [N, C, H, W] (keys weight, bias).\"\"\"\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        x = x.permute(0, 2, 3, 1)\n" +
                "        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)\n" +
                "        return x.permute(0, 3, 1, 2)\n",
            ["StochasticDepth"] =
                "class StochasticDepth(nn.Module):\n" +
                "    \"\"\"torchvision.ops.StochasticDepth: drops the branch per sample (\\\"row\\\") or per batch in training.\"\"\"\n\n" +
                "    def __init__(self, p: float, mode: str = \"row\") -> None:\n" +
                "        super().__init__()\n" +
                "        self.p = p\n" +
                "        self.mode = mode\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        if not self.training or self.p == 0.0:\n" +
                "            return x\n" +
                "        survival = 1.0 - self.p\n" +
                "        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == \"row\" else [1] * x.ndim\n" +
                "        noise = x.new_empty(size).bernoulli_(survival)\n" +
                "        if survival > 0.0:\n" +
                "            noise.div_(survival)\n" +
                "        return x * noise\n",
        };

        /// <summary>The helper classes the network's leaves need, in a fixed order.</summary>
        public static IEnumerable<string> For(GraphNode root)
        {
            var used = new HashSet<string>(root.Descendants().Where(n => n.Form == NodeForm.Leaf).Select(n => n.Module), System.StringComparer.Ordinal);
            return Classes.Where(c => used.Contains(c.Key)).Select(c => c.Value);
        }

        /// <summary>Whether any block has a parameter tensor of its own (the twin then needs <c>import torch</c>).</summary>
        public static bool UsesTensors(GraphNode root) => root.Tensors.Count > 0 || root.Descendants().Any(n => n.Tensors.Count > 0);

        /// <summary><c>self.layer_scale = nn.Parameter(torch.full((96, 1, 1), 1e-06))</c>.</summary>
        public static string Construction(Dsl.Runtime.Graph.GraphTensor tensor, IReadOnlyDictionary<string, string>? variables = null)
        {
            // The first dimension from the class's __init__ argument when uses differ in it.
            var dims = tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList();
            if (tensor.Channels is { } channels && variables is not null && variables.TryGetValue(channels, out var variable)) dims[0] = variable;
            string shape = dims.Count == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
            string init = tensor.Init.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", System.StringComparison.Ordinal);
            if (init.IndexOfAny(new[] { '.', 'e' }) < 0) init += ".0";
            return $"self.{tensor.Name} = nn.Parameter(torch.full({shape}, {init}))";
        }
    }
}
