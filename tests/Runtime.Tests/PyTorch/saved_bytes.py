"""Bytes PyTorch saves for backward in one training-mode forward of each twin (MemoryPlanTests).

Usage: saved_bytes.py FOLDER NAME... (input shape, batch included, in NAME.shape.json; a language model's vocabulary in
NAME.vocabulary.json, its input then token ids; NAME.costly.json for a network too costly to run in float32 here)
FOLDER holds train.py and NAME.py per twin. Every tensor autograd saves during the forward is seen by
torch.autograd.graph.saved_tensors_hooks; they are de-duplicated by storage (a storage saved by several operations is
held once) and the parameters' and buffers' storages are left out (the memory plan counts them as parameters).

Three counts per network:
- "bytes": float32 on the CPU. For a network in NAME.costly.json, on the meta device instead ("route": "meta"): the
  same forward with shapes and types only, no arithmetic (GPT-2 small's float32 forward takes minutes with this
  PyTorch's generic BLAS).
- "meta": float32 on the meta device for every network, so the meta route is checked against the CPU count wherever
  both run.
- "bf16": the network in bfloat16 (model.to(torch.bfloat16)) on the CPU, at the batch of NAME.costly.json's
  "bf16_shape" when given ("bf16_batch"). PyTorch 1.13's CPU conv_transpose2d reads a bf16 weight with the wrong
  layout, so there ConvTranspose2d runs through SavingConvTranspose2d: float32 arithmetic inside an autograd Function
  that saves what aten's convolution saves for backward, its bf16 input and weight ("bf16_substituted" names them).
Writes saved.json: per NAME these counts, or the error that stopped each.
"""

import copy
import importlib.util
import json
import sys
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F

folder = Path(sys.argv[1])
spec = importlib.util.spec_from_file_location("train", folder / "train.py")
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
torch.manual_seed(0)


class SavingConvTranspose2d(torch.autograd.Function):
    """conv_transpose2d on bf16 tensors computed in float32, saving what the convolution's autograd node saves (its
    input and weight). Used for counting only: no backward runs."""

    @staticmethod
    def forward(ctx, x, weight, bias, module, output_padding):
        ctx.save_for_backward(x, weight)
        y = F.conv_transpose2d(x.float(), weight.float(), None if bias is None else bias.float(), module.stride,
                               module.padding, output_padding, module.groups, module.dilation)
        return y.to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("saved_bytes.py counts saved tensors; it runs no backward")


def bf16_conv_transpose(module, x, output_size=None):
    if x.dtype != torch.bfloat16:
        return original_conv_transpose(module, x, output_size)
    output_padding = module._output_padding(x, output_size, module.stride, module.padding, module.kernel_size,
                                            2, module.dilation)
    return SavingConvTranspose2d.apply(x, module.weight, module.bias, module, output_padding)


original_conv_transpose = torch.nn.ConvTranspose2d.forward


def saved_bytes(model, x):
    """Bytes and count of the distinct storages autograd saves in model(x), parameters and buffers left out."""
    # A storage is known by its StorageImpl (_cdata): data pointers would do on the CPU, but meta storages have none.
    owned = {t.storage()._cdata for t in list(model.parameters()) + list(model.buffers())}
    storages = {}

    def pack(t):
        s = t.storage()
        if s._cdata not in owned:
            storages[s._cdata] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = model(x)
    del y
    return sum(storages.values()), len(storages)


def make_input(name, shape, device, dtype=torch.float32):
    vocabulary = folder / f"{name}.vocabulary.json"
    if vocabulary.exists():
        return torch.randint(0, json.loads(vocabulary.read_text()), shape, device=device)
    return torch.randn(*shape, device=device, dtype=dtype)


report = {}
for name in sys.argv[2:]:
    entry = {}
    report[name] = entry
    shape = json.loads((folder / f"{name}.shape.json").read_text())
    costly_file = folder / f"{name}.costly.json"
    costly = json.loads(costly_file.read_text()) if costly_file.exists() else None
    try:
        model = train.load_network(folder / f"{name}.py", name)()
        model.train()
    except Exception:
        entry["error"] = traceback.format_exc()
        continue
    try:
        entry["meta"], entry["meta_tensors"] = saved_bytes(copy.deepcopy(model).to("meta"), make_input(name, shape, "meta"))
    except Exception as e:
        entry["meta_error"] = f"{type(e).__name__}: {e}"
    if costly is None:
        try:
            entry["bytes"], entry["tensors"] = saved_bytes(model, make_input(name, shape, "cpu"))
            entry["route"] = "cpu"
        except Exception:
            entry["error"] = traceback.format_exc()
            continue
    elif "meta" in entry:
        entry["bytes"], entry["tensors"], entry["route"] = entry["meta"], entry["meta_tensors"], "meta"
    else:
        entry["error"] = entry["meta_error"]
        continue
    try:
        bf16_shape = costly["bf16_shape"] if costly else shape
        model = model.to(torch.bfloat16)
        substituted = [n for n, m in model.named_modules() if isinstance(m, torch.nn.ConvTranspose2d)]
        torch.nn.ConvTranspose2d.forward = bf16_conv_transpose
        try:
            entry["bf16"], _ = saved_bytes(model, make_input(name, bf16_shape, "cpu", torch.bfloat16))
        finally:
            torch.nn.ConvTranspose2d.forward = original_conv_transpose
        entry["bf16_batch"] = bf16_shape[0]
        if substituted:
            entry["bf16_substituted"] = substituted
    except Exception as e:
        entry["bf16_error"] = f"{type(e).__name__}: {e}"
    del model
(folder / "saved.json").write_text(json.dumps(report))
