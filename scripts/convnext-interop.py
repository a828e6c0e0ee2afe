#!/usr/bin/python3
"""PyTorch side of the checkpoint interop test with torchvision's convnext_tiny.

  export DIR   writes DIR/convnext_tiny.pth (state_dict of a seeded convnext_tiny whose layer scales and LayerNorm
               scales and shifts are random, so every block counts; eval mode) and DIR/convnext_tiny-io.pth
               ({"input": (2,3,224,224), "logits": (2,1000)})
  modules DIR  writes DIR/convnext_tiny-modules.txt: the names of named_modules(), one per line (the root as "")
  check DIR    loads DIR/csharp.pth (a state_dict saved by TorchSharp) into torchvision's convnext_tiny (strict), runs it
               on the "input" of DIR/csharp-io.pth and compares with its "logits". Prints the maximum difference and the
               number of keys; exit code 0 when below 1e-4.
"""
import os
import sys

import torch
import torchvision.models as models


def randomize(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.5, 1.5)
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):  # LayerNorm2d is a LayerNorm too
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)


def export(out_dir):
    torch.manual_seed(0)
    model = models.convnext_tiny(num_classes=1000)
    randomize(model)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    torch.save(model.state_dict(), os.path.join(out_dir, "convnext_tiny.pth"))
    torch.save({"input": x, "logits": y}, os.path.join(out_dir, "convnext_tiny-io.pth"))
    print("exported", tuple(y.shape), f"logits_abs_max={y.abs().max().item():.3f}")


def modules(out_dir):
    model = models.convnext_tiny(num_classes=1000)
    with open(os.path.join(out_dir, "convnext_tiny-modules.txt"), "w") as f:
        f.write("\n".join(name for name, _ in model.named_modules()) + "\n")
    print("modules", sum(1 for _ in model.named_modules()))


def check(in_dir):
    model = models.convnext_tiny(num_classes=1000)
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
    if len(sys.argv) != 3 or sys.argv[1] not in ("export", "modules", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "export":
        export(sys.argv[2])
    elif sys.argv[1] == "modules":
        modules(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
