using System;
using System.Collections.Generic;
using System.Linq;
using Dsl.Runtime.Graph;

namespace Dsl.Runtime.PyTorch
{
    /// <summary>
    /// One constructor argument: its name in the graph (TorchSharp's), its name in PyTorch, and whether PyTorch
    /// users pass it by position (<c>nn.Conv2d(64, 128, kernel_size=3)</c>, as torchvision writes it).
    /// </summary>
    internal sealed record PyArgument(string Graph, string PyTorch, bool Positional);

    /// <summary>A leaf layer kind in PyTorch: the constructor and its arguments in PyTorch's order.</summary>
    internal sealed record PyLayer(string Constructor, IReadOnlyList<PyArgument> Arguments);

    /// <summary>
    /// The PyTorch constructor of every leaf <c>module</c> kind of the graph format: a simple kind declares its
    /// <c>torch.nn</c> class in its own file in the generator (<see cref="GraphNode.Rendering"/>: the leaf's arguments by
    /// keyword, under the same names), the others have one entry here. Every argument the graph marks as TorchSharp's
    /// default is left out, because for every kind TorchSharp's defaults are PyTorch's (pool strides default to the
    /// kernel size in both; TwinDefaultsTests checks it).
    /// </summary>
    internal static class PyTorchLayers
    {
        private static readonly Dictionary<string, PyLayer> ByModule = new(StringComparer.Ordinal)
        {
            ["Conv2d"] = Layer("nn.Conv2d", "in_channels*", "out_channels*", "kernel_size", "stride", "padding", "dilation", "groups", "bias"),
            ["BatchNorm2d"] = Layer("nn.BatchNorm2d", "num_features*", "eps", "momentum"),
            ["LayerNorm"] = Layer("nn.LayerNorm", "normalized_shape*", "eps"),
            ["ReLU6"] = Layer("nn.ReLU6", "inplace"),
            ["SiLU"] = Layer("nn.SiLU"),
            // approximate is "tanh" (GPT-2's) when present, PyTorch's spelling.
            ["GELU"] = Layer("nn.GELU", "approximate"),
            ["Identity"] = Layer("nn.Identity"),
            ["MaxPool2d"] = Layer("nn.MaxPool2d", "kernel_size*", "stride", "padding", "dilation", "ceil_mode"),
            ["AvgPool2d"] = Layer("nn.AvgPool2d", "kernel_size*", "stride", "padding", "ceil_mode"),
            ["AdaptiveAvgPool2d"] = Layer("nn.AdaptiveAvgPool2d", "output_size*"),
            ["Linear"] = Layer("nn.Linear", "inputSize=in_features*", "outputSize=out_features*", "hasBias=bias"),
            ["Dropout"] = Layer("nn.Dropout", "p"),
            ["Conv1d"] = Layer("nn.Conv1d", "in_channels*", "out_channels*", "kernel_size", "stride", "padding", "dilation", "groups", "bias"),
            ["BatchNorm1d"] = Layer("nn.BatchNorm1d", "num_features*", "eps", "momentum"),
            ["GroupNorm"] = Layer("nn.GroupNorm", "num_groups*", "num_channels*", "eps"),
            ["MaxPool1d"] = Layer("nn.MaxPool1d", "kernel_size*", "stride", "padding", "dilation", "ceil_mode"),
            ["AvgPool1d"] = Layer("nn.AvgPool1d", "kernel_size*", "stride", "padding", "ceil_mode"),
            ["AdaptiveAvgPool1d"] = Layer("nn.AdaptiveAvgPool1d", "output_size*"),
            ["ConvTranspose2d"] = Layer("nn.ConvTranspose2d", "in_channels*", "out_channels*", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation"),
            // mode is a string in the graph ("nearest", "bilinear"), PyTorch's spelling.
            ["Upsample"] = Layer("nn.Upsample", "scale_factor", "mode", "align_corners"),
            ["Tokens"] = Layer("Tokens"),
            ["SelectToken"] = Layer("SelectToken", "index"),
            ["MultiheadSelfAttention"] = Layer("MultiheadSelfAttention", "embed_dim*", "num_heads*", "dropout", "causal", "padding_of", "padding_idx"),
            ["Embedding"] = Layer("nn.Embedding", "num_embeddings*", "embedding_dims=embedding_dim*", "padding_idx"),
            // The language-model layers TorchSharp lacks, written into the twin as small classes (HelperClasses).
            ["PositionTable"] = Layer("PositionTable", "max_length*", "dim*", "sinusoidal", "std"),
            ["FusedSelfAttention"] = Layer("FusedSelfAttention", "embed_dim*", "num_heads*", "dropout", "causal", "padding_of", "padding_idx"),
            ["TiedLinear"] = Layer("TiedLinear", "in_features*", "out_features*", "bias", "tied_to"),
            // torchvision's own layers, written into the twin as small classes (HelperClasses).
            ["Permute"] = Layer("Permute", "dims*"),
            ["LayerNorm2d"] = Layer("LayerNorm2d", "normalized_shape*", "eps"),
            ["StochasticDepth"] = Layer("StochasticDepth", "p*", "mode*"),
            // nn.LSTM / nn.GRU (batch first) returning one tensor, written into the twin as small classes (HelperClasses).
            ["LSTM"] = Layer("LSTM", "input_size*", "hidden_size*", "num_layers", "bias", "dropout", "bidirectional", "last_step"),
            ["GRU"] = Layer("GRU", "input_size*", "hidden_size*", "num_layers", "bias", "dropout", "bidirectional", "last_step"),
        };

        /// <summary>Leaf kinds the twin refuses, with why: a hand-written module ([Custom&lt;T&gt;]) has no PyTorch counterpart.</summary>
        private static readonly Dictionary<string, Func<GraphNode, string>> Refused = new(StringComparer.Ordinal)
        {
            ["Custom"] = leaf =>
                $"The PyTorch twin cannot render layer '{leaf.Path}': it is the hand-written TorchSharp module " +
                $"{leaf.Args.FirstOrDefault(a => a.Name == "module")?.Value.GetString() ?? "(unknown)"}, used through [Custom<T>]. " +
                "The network graph declares only its shape contract, not what it computes, so no PyTorch code can be written for it; " +
                "export a network without custom layers.",
        };

        /// <summary>
        /// The Python classes of the kinds that are not torch.nn modules (Dsl.Layers in .NET), written once into a twin that
        /// uses them; their state_dict keys are those of the .NET modules.
        /// </summary>
        private static readonly Dictionary<string, string> HelperClasses = new(StringComparer.Ordinal)
        {
            ["Tokens"] =
                "class Tokens(nn.Module):\n" +
                "    \"\"\"An image [N, C, H, W] as tokens [N, H*W, C]: flatten the positions, then transpose (ViT's patch tokens).\"\"\"\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        return x.flatten(2).transpose(1, 2)\n",
            ["SelectToken"] =
                "class SelectToken(nn.Module):\n" +
                "    \"\"\"One token of [N, L, ...]: x[:, index].\"\"\"\n\n" +
                "    def __init__(self, index: int = 0) -> None:\n" +
                "        super().__init__()\n" +
                "        self.index = index\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        return x[:, self.index]\n",
            ["MultiheadSelfAttention"] =
                "class MultiheadSelfAttention(nn.MultiheadAttention):\n" +
                "    \"\"\"Self-attention on tokens [N, L, E]: nn.MultiheadAttention (batch first) applied to x, x, x; same keys.\"\"\"\n\n" +
                "    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False, padding_of: str = \"\", padding_idx: int = -1) -> None:\n" +
                "        super().__init__(embed_dim, num_heads, dropout=dropout, batch_first=True)\n" +
                "        self.causal = causal\n" +
                "        self.padding_of = padding_of\n" +
                "        self.padding_idx = padding_idx\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]\n" +
                "        if self.padding_of:\n" +
                "            # nn.MultiheadAttention's boolean attn_mask is True where a query may not attend, per batch and head.\n" +
                "            blocked = ~KeyPadding.allowed(self, x.shape[0], x.shape[1], self.causal, x.device)\n" +
                "            blocked = blocked.expand(-1, self.num_heads, -1, -1).reshape(-1, x.shape[1], x.shape[1])\n" +
                "            return super().forward(x, x, x, attn_mask=blocked, need_weights=False)[0]\n" +
                "        later = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool, device=x.device).triu(1) if self.causal else None\n" +
                "        return super().forward(x, x, x, attn_mask=later, need_weights=False)[0]\n",
            ["PositionTable"] =
                "class PositionTable(nn.Module):\n" +
                "    \"\"\"The first L rows of a table [max_length, D] added to tokens [N, L, D]: learned (key weight, nn.Embedding's\n" +
                "    layout) or the fixed sine and cosine table (no parameters).\"\"\"\n\n" +
                "    def __init__(self, max_length: int, dim: int, sinusoidal: bool = False, std: float = 0.02) -> None:\n" +
                "        super().__init__()\n" +
                "        self.max_length = max_length\n" +
                "        self.dim = dim\n" +
                "        if sinusoidal:\n" +
                "            self.register_parameter(\"weight\", None)\n" +
                "        else:\n" +
                "            self.weight = nn.Parameter(torch.empty(max_length, dim).normal_(std=std))\n\n" +
                "    @staticmethod\n" +
                "    def sinusoid(length: int, dim: int, dtype: torch.dtype, device: torch.device) -> Tensor:\n" +
                "        position = torch.arange(length, dtype=torch.float64).unsqueeze(1)\n" +
                "        rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))\n" +
                "        table = torch.zeros(length, dim, dtype=torch.float64)\n" +
                "        table[:, 0::2] = torch.sin(position * rate)\n" +
                "        table[:, 1::2] = torch.cos(position * rate)[:, : dim // 2]\n" +
                "        return table.to(dtype=dtype, device=device)\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        if self.weight is not None:\n" +
                "            return x + self.weight[: x.shape[1]]\n" +
                "        return x + self.sinusoid(x.shape[1], self.dim, x.dtype, x.device)\n",
            ["FusedSelfAttention"] =
                "class FusedSelfAttention(nn.Module):\n" +
                "    \"\"\"GPT-2's self-attention on tokens [N, L, E]: c_attn (E to 3E: q, k, v), softmax(q k^T / sqrt(d)) v per head,\n" +
                "    causal when asked, c_proj (E to E); dropout on the weights and the result in training.\"\"\"\n\n" +
                "    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False, padding_of: str = \"\", padding_idx: int = -1) -> None:\n" +
                "        super().__init__()\n" +
                "        self.num_heads = num_heads\n" +
                "        self.causal = causal\n" +
                "        self.padding_of = padding_of\n" +
                "        self.padding_idx = padding_idx\n" +
                "        self.c_attn = nn.Linear(embed_dim, 3 * embed_dim)\n" +
                "        self.c_proj = nn.Linear(embed_dim, embed_dim)\n" +
                "        self.attn_dropout = nn.Dropout(dropout)\n" +
                "        self.resid_dropout = nn.Dropout(dropout)\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        n, length, embed = x.shape\n" +
                "        head = embed // self.num_heads\n" +
                "        q, k, v = (t.view(n, length, self.num_heads, head).transpose(1, 2) for t in self.c_attn(x).split(embed, dim=2))\n" +
                "        scores = q @ k.transpose(-2, -1) / math.sqrt(head)\n" +
                "        if self.padding_of:\n" +
                "            scores = scores.masked_fill(~KeyPadding.allowed(self, n, length, self.causal, x.device), float(\"-inf\"))\n" +
                "        elif self.causal:\n" +
                "            later = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)\n" +
                "            scores = scores.masked_fill(later, float(\"-inf\"))\n" +
                "        y = self.attn_dropout(scores.softmax(dim=-1)) @ v\n" +
                "        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(n, length, embed)))\n",
            ["TiedLinear"] =
                "class TiedLinear(nn.Module):\n" +
                "    \"\"\"A Linear whose weight is the layer tied_to's (GPT-2's lm_head and wte): one parameter with one state_dict\n" +
                "    key, that layer's; this module holds only its bias. TiedLinear.tie_all connects a built network.\"\"\"\n\n" +
                "    def __init__(self, in_features: int, out_features: int, bias: bool = True, tied_to: str = \"\") -> None:\n" +
                "        super().__init__()\n" +
                "        self.in_features = in_features\n" +
                "        self.out_features = out_features\n" +
                "        self.tied_to = tied_to\n" +
                "        self.register_parameter(\"bias\", nn.Parameter(torch.zeros(out_features)) if bias else None)\n" +
                "        self._source: list = []  # not a submodule: the weight stays the tied layer's\n\n" +
                "    @property\n" +
                "    def weight(self) -> Tensor:\n" +
                "        return self._source[0].weight\n\n" +
                "    @staticmethod\n" +
                "    def tie_all(network: nn.Module) -> None:\n" +
                "        for module in network.modules():\n" +
                "            if isinstance(module, TiedLinear):\n" +
                "                module._source = [network.get_submodule(module.tied_to)]\n\n" +
                "    def forward(self, x: Tensor) -> Tensor:\n" +
                "        return nn.functional.linear(x, self.weight, self.bias)\n",
            [KeyPaddingHelper] =
                "class KeyPadding:\n" +
                "    \"\"\"The padding mask of self-attention layers: the keys whose ids, entering the Embedding padding_of names, equal\n" +
                "    padding_idx are not attended to, except by the padding token itself (no row of weights is empty: PyTorch's\n" +
                "    key_padding_mask gives such rows NaN). KeyPadding.connect_all hooks the Embeddings of a built network.\"\"\"\n\n" +
                "    @staticmethod\n" +
                "    def connect_all(network: nn.Module) -> None:\n" +
                "        for module in network.modules():\n" +
                "            if getattr(module, \"padding_of\", \"\"):\n" +
                "                network.get_submodule(module.padding_of).register_forward_pre_hook(\n" +
                "                    lambda _, inputs, attention=module: setattr(attention, \"_padding\", inputs[0].eq(attention.padding_idx)))\n\n" +
                "    @staticmethod\n" +
                "    def allowed(attention: nn.Module, n: int, length: int, causal: bool, device: torch.device) -> Tensor:\n" +
                "        \"\"\"Where each query may attend, bool [N, 1, L, L].\"\"\"\n" +
                "        padding = getattr(attention, \"_padding\", None)\n" +
                "        if padding is None or tuple(padding.shape) != (n, length):\n" +
                "            raise RuntimeError(f\"this attention masks the padding of {attention.padding_of}, whose last ids do not fit [{n}, {length}]: run the network from its input\")\n" +
                "        allowed = (~padding.to(device)).view(n, 1, 1, length) | torch.eye(length, dtype=torch.bool, device=device)\n" +
                "        return allowed & torch.ones(length, length, dtype=torch.bool, device=device).tril() if causal else allowed\n",
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
            ["LSTM"] = Recurrent("LSTM"),
            ["GRU"] = Recurrent("GRU"),
        };

        /// <summary>
        /// The twin's class for <c>Dsl.Layers.LSTM</c> or <c>GRU</c>: PyTorch's module (batch first, zero initial states,
        /// same keys) returning every step's output or the last layer's final hidden state, directions concatenated.
        /// </summary>
        private static string Recurrent(string cell) =>
            $"class {cell}(nn.{cell}):\n" +
            $"    \"\"\"nn.{cell} (batch first) returning one tensor: every step's output [N, L, D*H], or the last layer's final hidden state [N, D*H].\"\"\"\n\n" +
            "    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, dropout: float = 0.0,\n" +
            "                 bidirectional: bool = False, last_step: bool = False) -> None:\n" +
            "        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=True, dropout=dropout, bidirectional=bidirectional)\n" +
            "        self.last_step = last_step\n\n" +
            "    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]\n" +
            "        output, state = super().forward(x)\n" +
            "        if not self.last_step:\n" +
            "            return output\n" +
            (cell == "LSTM" ? "        hidden = state[0]\n" : "        hidden = state\n") +
            "        return torch.cat([hidden[-2], hidden[-1]], 1) if self.bidirectional else hidden[-1]\n";

        /// <summary>The helper class of the padding mask, written into a twin with an attention that masks padding (<see cref="MasksPadding"/>).</summary>
        public const string KeyPaddingHelper = "KeyPadding";

        /// <summary>Whether <paramref name="leaf"/> is an attention that masks padding (it reads the ids of an Embedding).</summary>
        public static bool MasksPadding(GraphNode leaf) => leaf.Form == NodeForm.Leaf && leaf.Args.Any(a => a.Name == "padding_of");

        /// <summary>The helper classes the leaf kinds <paramref name="modules"/> need, each once, in the order of <see cref="HelperClasses"/>.</summary>
        public static IEnumerable<string> Helpers(IEnumerable<string> modules)
        {
            var used = new HashSet<string>(modules, StringComparer.Ordinal);
            return HelperClasses.Where(h => used.Contains(h.Key)).Select(h => h.Value);
        }

        /// <summary>The leaf kinds the twin can render.</summary>
        public static IEnumerable<string> Known => ByModule.Keys;

        /// <summary>Each leaf kind's PyTorch constructor and arguments (a test compares the defaults the twin relies on with TorchSharp's).</summary>
        internal static IReadOnlyDictionary<string, PyLayer> Layers => ByModule;

        /// <summary>
        /// The PyTorch expression that creates <paramref name="leaf"/>. <paramref name="variable"/> gives the Python
        /// variable for an argument that comes from a constructor parameter of the enclosing block, or null to write
        /// the value; arguments at their default are left out unless they come from a parameter.
        /// </summary>
        /// <exception cref="NotSupportedException">The layer kind or one of its arguments has no PyTorch mapping.</exception>
        public static string Create(GraphNode leaf, Func<GraphArg, string?> variable)
        {
            if (Refused.TryGetValue(leaf.Module, out var why)) throw new NotSupportedException(why(leaf));
            var layer = leaf.Rendering is { } rendering ? Declared(rendering, leaf) : ByModule.GetValueOrDefault(leaf.Module);
            if (layer is null)
            {
                throw new NotSupportedException(
                    $"The PyTorch twin cannot render layer '{leaf.Path}': it has no PyTorch mapping for the {leaf.Module} layer kind " +
                    $"(mapped kinds: {string.Join(", ", Known)}). Declare its rendering where its kind adds the leaf (a LeafRendering: a torch.nn class taking the same arguments), or add one entry for {leaf.Module} to {nameof(PyTorchLayers)}.");
            }
            foreach (var arg in leaf.Args.Where(a => layer.Arguments.All(p => p.Graph != a.Name)))
            {
                throw new NotSupportedException(
                    $"The PyTorch twin cannot render layer '{leaf.Path}' ({leaf.Module}): its argument '{arg.Name}' has no PyTorch mapping in {nameof(PyTorchLayers)}.");
            }

            var written = new List<string>();
            bool byPosition = true; // positional only while no earlier argument was left out
            foreach (var p in layer.Arguments)
            {
                var arg = leaf.Args.FirstOrDefault(a => a.Name == p.Graph);
                string? name = arg is null ? null : variable(arg);
                if (arg is null || (name is null && arg.IsDefault))
                {
                    byPosition = false;
                    continue;
                }
                string value = name ?? PythonText.Literal(arg.Value);
                byPosition &= p.Positional;
                written.Add(byPosition ? value : p.PyTorch + "=" + value);
            }
            return $"{layer.Constructor}({string.Join(", ", written)})";
        }

        /// <summary>A declared rendering: its constructor, with every argument of the leaf by keyword under its own name.</summary>
        internal static PyLayer Declared(LeafRendering rendering, GraphNode leaf) =>
            new(rendering.PyTorch, leaf.Args.Select(a => new PyArgument(a.Name, a.Name, false)).ToArray());

        /// <summary>
        /// A layer from its argument list: <c>"name"</c> (keyword), <c>"name*"</c> (positional), and
        /// <c>"graphName=pytorchName"</c> where TorchSharp's name differs.
        /// </summary>
        private static PyLayer Layer(string constructor, params string[] arguments) =>
            new(constructor, arguments.Select(a =>
            {
                bool positional = a.EndsWith('*');
                string names = a.TrimEnd('*');
                int eq = names.IndexOf('=');
                return eq < 0 ? new PyArgument(names, names, positional) : new PyArgument(names[..eq], names[(eq + 1)..], positional);
            }).ToArray());
    }
}
