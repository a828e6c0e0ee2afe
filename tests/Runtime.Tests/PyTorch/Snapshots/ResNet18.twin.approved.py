"""PyTorch twin of the Dsl network ResNet18.

ResNet18() builds the declared network: input [N, 3, 224, 224], output [N, 1000], 11,689,512 parameters.
Its modules, state_dict keys and forward are those of the .NET class ResNet18, so weights
move between the two as safetensors files (train.py writes them; Dsl.Runtime's PyTorchCheckpoint
reads them). Written from the network's graph by Dsl.Runtime's ExportPyTorch: change the declaration
and export again rather than editing this file.
"""

import math
import re

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["ResNet18"]


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


class BasicBlock(nn.Module):
    """BasicBlock of ResNet18, used at layer1.0, layer1.1, layer2.0, layer2.1 and 4 more.

    The arguments are what differs between its uses.
    """

    def __init__(self, in_channels: int, channels: int, stride: int, projection: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(channels),
        ) if projection else None

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv1(x)
        y = self.bn1(y)
        y = F.relu(y, inplace=True)
        y = self.conv2(y)
        y = self.bn2(y)
        identity = x if self.downsample is None else self.downsample(x)
        y += identity
        y = F.relu(y, inplace=True)
        return y


class ResNet18(nn.Module):
    """ResNet18: [N, 3, 224, 224] -> [N, 1000], 11,689,512 parameters."""

    # One sample's shape (batch excluded), as declared; train.py resizes images to it.
    input_shape = (3, 224, 224)
    output_shape = (1000,)

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(
            BasicBlock(in_channels=64, channels=64, stride=1, projection=False),
            BasicBlock(in_channels=64, channels=64, stride=1, projection=False),
        )
        self.layer2 = nn.Sequential(
            BasicBlock(in_channels=64, channels=128, stride=2, projection=True),
            BasicBlock(in_channels=128, channels=128, stride=1, projection=False),
        )
        self.layer3 = nn.Sequential(
            BasicBlock(in_channels=128, channels=256, stride=2, projection=True),
            BasicBlock(in_channels=256, channels=256, stride=1, projection=False),
        )
        self.layer4 = nn.Sequential(
            BasicBlock(in_channels=256, channels=512, stride=2, projection=True),
            BasicBlock(in_channels=512, channels=512, stride=1, projection=False),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, 1000)
        # Initialisation rules in declaration order (a later rule overwrites an earlier one); presets expanded.
        _initialize(self, [
            ("Conv2d", True, "kaiming_normal", {"a": 0.0, "mode": "fan_out", "nonlinearity": "relu"}, None),
            ("BatchNorm2d", True, "constant", {"val": 1.0}, 0.0),
        ])

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4 or input.shape[1] != self.input_shape[0]:
            raise ValueError(f"ResNet18 expects input of shape [N, 3, 224, 224] (any spatial size), got {list(input.shape)}")
        x = self.conv1(input)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        x = self.fc(x)
        return x
