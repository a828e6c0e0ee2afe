"""The type each module of each twin returns under PyTorch's CPU autocast (MixedPrecisionTests).

Usage: autocast_dtypes.py FOLDER NAME...  FOLDER holds train.py and NAME.py per twin, and NAME.shape.json (the input
shape, batch included; with NAME.vocabulary.json its input is token ids). Each twin runs one training-mode forward of random images under
torch.autocast("cpu", dtype=torch.bfloat16) with a forward hook on every module recording the type of its output.
Writes autocast.json: per NAME a map from module path to output type ("bfloat16", "float32"), or the error that
stopped the forward.
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
for name in sys.argv[2:]:
    entry = {}
    try:
        model = train.load_network(folder / f"{name}.py", name)()
        model.train()
        types = {}

        def record(path):
            def hook(module, args, output):
                if isinstance(output, torch.Tensor):
                    types[path] = str(output.dtype).replace("torch.", "")
            return hook

        for path, module in model.named_modules():
            module.register_forward_hook(record(path))
        shape = json.loads((folder / f"{name}.shape.json").read_text())
        vocabulary = folder / f"{name}.vocabulary.json"
        # A language model takes token ids in [0, vocabulary).
        x = torch.randint(0, json.loads(vocabulary.read_text()), shape) if vocabulary.exists() else torch.randn(*shape)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model(x)
        entry["types"] = types
    except Exception as e:
        entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
    report[name] = entry
(folder / "autocast.json").write_text(json.dumps(report))
