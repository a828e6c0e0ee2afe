"""Bytes PyTorch saves for backward in one training-mode forward of each twin (MemoryPlanTests).

Usage: saved_bytes.py FOLDER NAME... (input shape, batch included, in NAME.shape.json; a language model's vocabulary in
NAME.vocabulary.json, its input then token ids)  FOLDER holds train.py and NAME.py per twin. Every tensor autograd saves
during the forward is seen by torch.autograd.graph.saved_tensors_hooks; they are de-duplicated by storage (a storage
saved by several operations is held once) and the parameters' and buffers' storages are left out (the memory plan
counts them as parameters). Then the same in bfloat16 (model.to(torch.bfloat16)). Writes saved.json: per NAME the
float32 and bf16 bytes, or the error that stopped it.
"""

import importlib.util
import json
import sys
import traceback
from pathlib import Path

import torch

folder = Path(sys.argv[1])
spec = importlib.util.spec_from_file_location("train", folder / "train.py")
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
torch.manual_seed(0)

report = {}
for item in sys.argv[2:]:
    name = item
    entry = {}
    try:
        model = train.load_network(folder / f"{name}.py", name)()
        model.train()
        owned = {t.storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
        storages = {}

        def pack(t):
            s = t.storage()
            if s.data_ptr() not in owned:
                storages[s.data_ptr()] = s.nbytes()
            return t

        shape = json.loads((folder / f"{name}.shape.json").read_text())
        vocabulary = folder / f"{name}.vocabulary.json"
        tokens = vocabulary.exists()
        x = torch.randint(0, json.loads(vocabulary.read_text()), shape) if tokens else torch.randn(*shape)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = model(x)
        entry["bytes"] = sum(storages.values())
        entry["tensors"] = len(storages)
    except Exception:
        entry["error"] = traceback.format_exc()
        report[name] = entry
        continue
    try:
        # The same network run in bfloat16 (weights and activations). Reported apart: PyTorch 1.13 lacks some bf16
        # CPU kernels (its ConvTranspose2d reads a bf16 weight with the wrong layout), which is no fault of the twin.
        del y
        storages.clear()
        model = model.to(torch.bfloat16)
        owned = {t.storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = model(x if tokens else x.to(torch.bfloat16))
        entry["bf16"] = sum(storages.values())
    except Exception as e:
        entry["bf16_error"] = f"{type(e).__name__}: {e}"

    report[name] = entry
(folder / "saved.json").write_text(json.dumps(report))
