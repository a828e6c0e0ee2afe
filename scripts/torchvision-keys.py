#!/usr/bin/python3
"""Writes the state_dict keys and shapes of torchvision's ResNets, MobileNetV2, DenseNet-121, ConvNeXt-T, MobileNetV3-Large and EfficientNet-B0, one "key shape" per line
(shape as comma-separated sizes, "scalar" for 0-d tensors), plus a summary line per network with
the parameter count and the conv + linear multiply-adds for one 3x224x224 sample.

Usage: /usr/bin/python3 scripts/torchvision-keys.py tests/Generator.Tests/TestData/torchvision
"""
import os
import sys

import torch
import torchvision.models as models

NETWORKS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "mobilenet_v2", "densenet121", "convnext_tiny", "mobilenet_v3_large",
            "efficientnet_b0"]


def shape_text(tensor):
    return ",".join(str(s) for s in tensor.shape) if tensor.dim() > 0 else "scalar"


def multiply_adds(model):
    total = 0

    def conv_hook(module, inputs, output):
        nonlocal total
        per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * per_output

    def linear_hook(module, inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, torch.nn.Linear):
            m.register_forward_hook(linear_hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    return total


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in NETWORKS:
        model = getattr(models, name)(num_classes=1000).eval()
        lines = [f"{key} {shape_text(t)}" for key, t in model.state_dict().items()]
        with open(os.path.join(out_dir, name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        params = sum(p.numel() for p in model.parameters())
        print(f"{name} parameters={params} multiply_adds={multiply_adds(model)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/Generator.Tests/TestData/torchvision")
