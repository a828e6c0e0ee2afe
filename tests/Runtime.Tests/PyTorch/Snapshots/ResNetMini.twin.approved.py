"""PyTorch twin of the Dsl network ResNetMini.

ResNetMini() builds the declared network: input [N, 1, 28, 28], output [N, 10], 77,898 parameters.
Its modules, state_dict keys and forward are those of the .NET class ResNetMini, so weights
move between the two as safetensors files (train.py writes them; Dsl.Runtime's PyTorchCheckpoint
reads them). Written from the network's graph by Dsl.Runtime's ExportPyTorch: change the declaration
and export again rather than editing this file.
"""

from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["ResNetMini"]


class StemBlock(nn.Module):
    """Stem of ResNetMini, used at stem."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv(x)
        y = self.bn(y)
        y = self.relu(y)
        return y


class ResidualBlock(nn.Module):
    """ResidualBlock of ResNetMini, used at stage1.0, stage2.0, stage3.0.

    The arguments are what differs between its uses.
    """

    def __init__(self, in_channels: int, channels: int, stride: int, use1x1_conv: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride) if use1x1_conv else None

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv1(x)
        y = self.bn1(y)
        y = F.relu(y, inplace=True)
        y = self.conv2(y)
        y = self.bn2(y)
        identity = x if self.conv3 is None else self.conv3(x)
        y += identity
        y = F.relu(y, inplace=True)
        return y


class ClassifierHeadBlock(nn.Module):
    """ClassifierHead of ResNetMini, used at head."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x: Tensor) -> Tensor:
        y = self.pool(x)
        y = self.flatten(y)
        y = self.fc(y)
        return y


class ResNetMini(nn.Module):
    """ResNetMini: [N, 1, 28, 28] -> [N, 10], 77,898 parameters."""

    # One sample's shape (batch excluded), as declared; train.py resizes images to it.
    input_shape = (1, 28, 28)
    output_shape = (10,)

    def __init__(self) -> None:
        super().__init__()
        self.stem = StemBlock()
        self.stage1 = nn.Sequential(
            ResidualBlock(in_channels=16, channels=16, stride=1, use1x1_conv=False),
        )
        self.stage2 = nn.Sequential(
            ResidualBlock(in_channels=16, channels=32, stride=2, use1x1_conv=True),
        )
        self.stage3 = nn.Sequential(
            ResidualBlock(in_channels=32, channels=64, stride=2, use1x1_conv=True),
        )
        self.head = ClassifierHeadBlock()

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4 or input.shape[1] != self.input_shape[0]:
            raise ValueError(f"ResNetMini expects input of shape [N, 1, 28, 28] (any spatial size), got {list(input.shape)}")
        x = self.stem(input)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        x = self.head(x)
        return x
