"""Runs PyTorch twins on the weights and inputs of their .NET modules (PyTorchTwinTests).

Usage: twin_check.py FOLDER NAME...  FOLDER holds train.py and, per NAME, NAME.py (the twin),
NAME.weights.safetensors (the .NET state_dict) and NAME.input.safetensors ("input"). Writes
NAME.outputs.safetensors (every output in eval mode by name: a twin returning a dict gives its entries,
any other its one tensor as "output") and report.json: per NAME the twin's parameter count, its
state_dict keys with shapes, or the error that stopped it.
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

report = {}
for name in sys.argv[2:]:
    entry = {}
    try:
        model = train.load_network(folder / f"{name}.py", name)()
        entry["parameters"] = sum(p.numel() for p in model.parameters())
        entry["state"] = {key: list(value.shape) for key, value in model.state_dict().items()}
        model.load_state_dict(train.load_safetensors(folder / f"{name}.weights.safetensors"))
        model.eval()
        with torch.no_grad():
            outputs = model(train.load_safetensors(folder / f"{name}.input.safetensors")["input"])
        train.save_safetensors(outputs if isinstance(outputs, dict) else {"output": outputs}, folder / f"{name}.outputs.safetensors")
    except Exception:
        entry["error"] = traceback.format_exc()
    report[name] = entry
(folder / "report.json").write_text(json.dumps(report))
