#!/usr/bin/python3
"""PyTorch side of the checkpoint interop test with torchvision's resnet18.

  export DIR   writes DIR/resnet18.pth (state_dict of a seeded resnet18 with random BatchNorm statistics, eval mode)
               and DIR/resnet18-io.pth ({"input": (1,3,224,224), "logits": (1,1000)})
  check DIR    loads DIR/csharp.pth (a state_dict saved by TorchSharp) into torchvision's resnet18, runs it on
               the "input" of DIR/csharp-io.pth and compares with its "logits"; also reads DIR/csharp.safetensors
               and checks it equals the .pth. Prints the maximum difference; exit code 0 when below 1e-4.
"""
import json
import os
import sys

import numpy as np
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


def export(out_dir):
    torch.manual_seed(0)
    model = models.resnet18(num_classes=1000)
    randomize_batchnorm(model)
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    torch.save(model.state_dict(), os.path.join(out_dir, "resnet18.pth"))
    torch.save({"input": x, "logits": y}, os.path.join(out_dir, "resnet18-io.pth"))
    print("exported", tuple(y.shape))


def read_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    with open(path, "rb") as f:
        data = f.read()
    header = int.from_bytes(data[:8], "little")
    index = json.loads(data[8:8 + header])
    body = data[8 + header:]
    tensors = {}
    for key, entry in index.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        tensors[key] = torch.from_numpy(array.copy())
    return tensors


def check(in_dir):
    model = models.resnet18(num_classes=1000)
    state = torch.load(os.path.join(in_dir, "csharp.pth"))
    model.load_state_dict(state, strict=True)
    model.eval()
    io = torch.load(os.path.join(in_dir, "csharp-io.pth"))
    with torch.no_grad():
        y = model(io["input"])
    diff = (y - io["logits"]).abs().max().item()
    safe = read_safetensors(os.path.join(in_dir, "csharp.safetensors"))
    assert sorted(safe.keys()) == sorted(state.keys()), "safetensors keys differ"
    safe_diff = max((safe[k].double() - state[k].double()).abs().max().item() if state[k].numel() else 0.0 for k in state)
    print(f"max_abs_diff={diff:.3e} safetensors_diff={safe_diff:.3e} keys={len(state)}")
    return 0 if diff < 1e-4 and safe_diff == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("export", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
