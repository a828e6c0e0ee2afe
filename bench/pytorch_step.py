"""D2L ResNet-18 training step in PyTorch eager, driven by the benchmark program.

Usage: python3 pytorch_step.py --threads N --size S --batch B [--precision float32|bf16] [--channels-last]

With --precision bf16 the forward and the loss run under torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's
CPU mixed precision (float32 weights, convolutions and matrix products in bfloat16). With --channels-last the
network's parameters and the input are in torch.channels_last memory format (PyTorch's advice for CPU convolutions).

Prints "ready <torch version> <parameter count>", then for every line "steps K" on standard input runs K
SGD steps (forward, cross-entropy, backward, optimizer step) and prints "seconds <elapsed> <processor seconds>"; for "phases K" it
prints "phases <forward> <backward> <optimizer step>" in seconds summed over K steps. "quit" ends.
The benchmark program interleaves these requests with its own contenders so all share the same conditions.
"""
import argparse
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    def __init__(self, in_channels, channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(channels)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        y += x
        return F.relu(y)


def stage(in_channels, channels, blocks, first=False):
    layers = []
    for i in range(blocks):
        if i == 0 and not first:
            layers.append(Residual(in_channels, channels, use_1x1conv=True, strides=2))
        else:
            layers.append(Residual(in_channels if i == 0 else channels, channels))
    return nn.Sequential(*layers)


def resnet18(classes=10):
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return nn.Sequential(b1, stage(64, 64, 2, first=True), stage(64, 128, 2), stage(128, 256, 2), stage(256, 512, 2),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, classes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--precision", choices=["float32", "bf16"], default="float32")
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = resnet18()
    net.train()
    x = torch.rand(a.batch, 1, a.size, a.size)
    if a.channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (a.batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    params = sum(t.numel() for t in net.parameters())
    print(f"ready {torch.__version__} {params}", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        steps = int(parts[1])
        if parts[0] == "phases":
            f = b = o = 0.0
            for _ in range(steps):
                t0 = time.perf_counter()
                opt.zero_grad()
                with autocast:
                    loss = F.cross_entropy(net(x), y)
                t1 = time.perf_counter()
                loss.backward()
                t2 = time.perf_counter()
                opt.step()
                t3 = time.perf_counter()
                f, b, o = f + t1 - t0, b + t2 - t1, o + t3 - t2
            print(f"phases {f:.6f} {b:.6f} {o:.6f}", flush=True)
            continue
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            opt.zero_grad()
            with autocast:
                loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
        print(f"seconds {time.perf_counter() - start:.6f} {time.process_time() - cpu:.6f}", flush=True)


if __name__ == "__main__":
    main()
