"""Small networks shaped like exported twins (input_shape, output_shape, one class per --model-class), so the data
tests (TwinDataTests) run train.py on every source in seconds."""

import torch
from torch import nn

__all__ = ["Colour10", "Grey10", "Table3", "Regression1", "Regression2", "Segmenter3"]


class Colour10(nn.Module):
    """[N, 3, 16, 16] -> [N, 10]."""

    input_shape = (3, 16, 16)
    output_shape = (10,)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean((2, 3)))


class Grey10(Colour10):
    """[N, 1, 12, 12] -> [N, 10]."""

    input_shape = (1, 12, 12)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)


class Table3(nn.Module):
    """[N, 4] -> [N, 3]."""

    input_shape = (4,)
    output_shape = (3,)

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


class Regression1(nn.Module):
    """[N, 3] -> [N, 1]."""

    input_shape = (3,)
    output_shape = (1,)

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc(x)


class Regression2(Regression1):
    """[N, 3] -> [N, 2]."""

    output_shape = (2,)

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)


class Segmenter3(nn.Module):
    """[N, 3, 16, 16] -> [N, 3, 16, 16]: three classes per pixel (any size runs)."""

    input_shape = (3, 16, 16)
    output_shape = (3, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
