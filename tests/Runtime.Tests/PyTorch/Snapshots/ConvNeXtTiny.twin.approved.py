"""PyTorch twin of the Dsl network ConvNeXtTiny.

ConvNeXtTiny() builds the declared network: input [N, 3, 224, 224], output [N, 1000], 28,589,128 parameters.
Its modules, state_dict keys and forward are those of the .NET class ConvNeXtTiny, so weights
move between the two as safetensors files (train.py writes them; Dsl.Runtime's PyTorchCheckpoint
reads them). Written from the network's graph by Dsl.Runtime's ExportPyTorch: change the declaration
and export again rather than editing this file.
"""

import math
import re

import torch
from torch import Tensor, nn

__all__ = ["ConvNeXtTiny"]


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d: LayerNorm over the channels of [N, C, H, W] (keys weight, bias)."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Permute(nn.Module):
    """torchvision.ops.Permute: x.permute(dims), the batch dimension included."""

    def __init__(self, dims: list) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(self.dims)


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: drops the branch per sample (\"row\") or per batch in training."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = x.new_empty(size).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise


def _initialize(network: nn.Module, rules: list) -> None:
    """Applies the network's initialisation rules in order, as Dsl.Initialization does for the .NET module.

    A rule is (target, is_kind, scheme, kwargs, bias): the target is a layer kind (the module's class name) or a
    glob over module and parameter paths ('*' within one segment, '**' across segments); the scheme, a torch.nn.init
    function called with kwargs, fills a selected module's weight (an attention's in_proj_weight) or the selected
    parameter; bias, when not None, is the selected modules' bias; 'default' is the module's own reset.
    """
    modules = [(name, m) for name, m in network.named_modules() if name]
    parameters = list(network.named_parameters())
    with torch.no_grad():
        for target, is_kind, scheme, kwargs, bias in rules:
            if is_kind:
                selected, tensors = [m for _, m in modules if _kind(m) == target], []
            else:
                pattern = _glob(target)
                selected = [m for name, m in modules if pattern.fullmatch(name)]
                tensors = [p for name, p in parameters if pattern.fullmatch(name)]
            for m in selected:
                weight = m._parameters.get("weight", m._parameters.get("in_proj_weight"))
                b = m._parameters.get("bias", m._parameters.get("in_proj_bias"))
                if weight is None:
                    continue
                if scheme == "default":
                    (m.reset_parameters if hasattr(m, "reset_parameters") else m._reset_parameters)()
                else:
                    getattr(nn.init, scheme + "_")(weight, **kwargs)
                if bias is not None and b is not None:
                    nn.init.constant_(b, bias)
            for p in tensors:
                if scheme == "default":
                    bound = 1 / math.sqrt(nn.init._calculate_fan_in_and_fan_out(p)[0])
                    nn.init.uniform_(p, -bound, bound)
                else:
                    getattr(nn.init, scheme + "_")(p, **kwargs)


def _kind(module: nn.Module) -> str:
    # nn.MultiheadAttention's out_proj is a subclass of Linear; the .NET module's is a Linear.
    return "Linear" if isinstance(module, nn.Linear) else type(module).__name__


def _glob(pattern: str) -> "re.Pattern[str]":
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    return re.compile("".join({"**": ".*", "*": "[^.]*", "?": "[^.]"}.get(p, re.escape(p)) for p in parts))


class CNBlockModule(nn.Module):
    """CNBlock of ConvNeXtTiny, used at features.1.0, features.1.1, features.1.2, features.3.0 and 14 more.

    The arguments are what differs between its uses.
    """

    def __init__(self, in_channels: int, sd: float, block_output_size: int) -> None:
        super().__init__()
        self.layer_scale = nn.Parameter(torch.full((in_channels, 1, 1), 1e-06))
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, kernel_size=7, padding=3, groups=in_channels),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(in_channels, eps=1e-06),
            nn.Linear(in_channels, block_output_size),
            nn.GELU(),
            nn.Linear(block_output_size, in_channels),
            Permute([0, 3, 1, 2]),
        )
        self.stochastic_depth = StochasticDepth(sd)

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(x)
        y = y * self.layer_scale
        y = self.stochastic_depth(y)
        y = x + y
        return y


class ConvNeXtTiny(nn.Module):
    """ConvNeXtTiny: [N, 3, 224, 224] -> [N, 1000], 28,589,128 parameters."""

    # One sample's shape (batch excluded), as declared; train.py resizes images to it.
    input_shape = (3, 224, 224)
    output_shape = (1000,)

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=4, stride=4),
                LayerNorm2d(96, eps=1e-06),
            ),
            nn.Sequential(
                CNBlockModule(in_channels=96, sd=0.0, block_output_size=384),
                CNBlockModule(in_channels=96, sd=0.0058823529411764705, block_output_size=384),
                CNBlockModule(in_channels=96, sd=0.011764705882352941, block_output_size=384),
            ),
            nn.Sequential(
                LayerNorm2d(96, eps=1e-06),
                nn.Conv2d(96, 192, kernel_size=2, stride=2),
            ),
            nn.Sequential(
                CNBlockModule(in_channels=192, sd=0.017647058823529415, block_output_size=768),
                CNBlockModule(in_channels=192, sd=0.023529411764705882, block_output_size=768),
                CNBlockModule(in_channels=192, sd=0.029411764705882353, block_output_size=768),
            ),
            nn.Sequential(
                LayerNorm2d(192, eps=1e-06),
                nn.Conv2d(192, 384, kernel_size=2, stride=2),
            ),
            nn.Sequential(
                CNBlockModule(in_channels=384, sd=0.03529411764705883, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.0411764705882353, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.047058823529411764, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.052941176470588235, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.058823529411764705, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.06470588235294118, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.07058823529411766, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.07647058823529412, block_output_size=1536),
                CNBlockModule(in_channels=384, sd=0.0823529411764706, block_output_size=1536),
            ),
            nn.Sequential(
                LayerNorm2d(384, eps=1e-06),
                nn.Conv2d(384, 768, kernel_size=2, stride=2),
            ),
            nn.Sequential(
                CNBlockModule(in_channels=768, sd=0.08823529411764706, block_output_size=3072),
                CNBlockModule(in_channels=768, sd=0.09411764705882353, block_output_size=3072),
                CNBlockModule(in_channels=768, sd=0.1, block_output_size=3072),
            ),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(768, eps=1e-06), nn.Flatten(), nn.Linear(768, 1000))
        # Initialisation rules in declaration order (a later rule overwrites an earlier one); presets expanded.
        _initialize(self, [
            ("Conv2d", True, "trunc_normal", {"mean": 0.0, "std": 0.02, "a": -2.0, "b": 2.0}, 0.0),
            ("Linear", True, "trunc_normal", {"mean": 0.0, "std": 0.02, "a": -2.0, "b": 2.0}, 0.0),
        ])

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4 or input.shape[1] != self.input_shape[0]:
            raise ValueError(f"ConvNeXtTiny expects input of shape [N, 3, 224, 224] (any spatial size), got {list(input.shape)}")
        x = self.features(input)
        x = self.avgpool(x)
        x = self.classifier(x)
        return x
