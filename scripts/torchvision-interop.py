#!/usr/bin/python3
"""PyTorch side of the checkpoint interop tests with any torchvision classifier (mobilenet_v2, densenet121, ...).

  export NAME DIR   writes DIR/NAME.pth (state_dict of a seeded torchvision NAME with random BatchNorm statistics)
                    and DIR/NAME-io.pth ({"input": (2,3,224,224), "logits": (2,1000)}, eval mode)
  check NAME DIR    loads DIR/csharp.pth (a state_dict saved by TorchSharp) into torchvision's NAME (strict), runs it
                    in eval mode on the "input" of DIR/csharp-io.pth and compares with its "logits". Prints the maximum
                    difference and the number of keys; exit code 0 when below 1e-4.
"""
import os
import sys

import torch
import torchvision.models as models


def randomize_batchnorm(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(7)


def export(name, out_dir):
    torch.manual_seed(0)
    model = getattr(models, name)(num_classes=1000)
    randomize_batchnorm(model)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
    torch.save({"input": x, "logits": y}, os.path.join(out_dir, name + "-io.pth"))
    print("exported", name, tuple(y.shape), f"logits_std={y.std().item():.3e}")


def check(name, in_dir):
    model = getattr(models, name)(num_classes=1000)
    state = torch.load(os.path.join(in_dir, "csharp.pth"))
    model.load_state_dict(state, strict=True)
    model.eval()
    io = torch.load(os.path.join(in_dir, "csharp-io.pth"))
    with torch.no_grad():
        y = model(io["input"])
    diff = (y - io["logits"]).abs().max().item()
    print(f"max_abs_diff={diff:.3e} keys={len(state)}")
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("export", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
