"""Runs train.py's main in this process and keeps what the tests compare (PyTorchDistributedTests).

Usage: [torchrun ...] ddp_probe.py TRAIN_PY PROBE_INPUT -- TRAIN_ARGUMENTS...
Every process writes its final state_dict to OUT/rank{RANK}.safetensors; rank 0 also writes the
eval-mode logits of its model on PROBE_INPUT's "input" to OUT/probe-logits.safetensors.
"""

import faulthandler
import importlib.util
import os
import sys
from pathlib import Path

import torch

# A process still running after the deadline prints every thread's stack and exits, so a hang (in the rendezvous,
# a collective or the teardown) becomes a failure that says where it waited instead of a silent test timeout.
faulthandler.dump_traceback_later(int(os.environ.get("DDP_PROBE_DEADLINE", "150")), exit=True)

train_py, probe_input, separator, *arguments = sys.argv[1:]
assert separator == "--", __doc__
spec = importlib.util.spec_from_file_location("train", train_py)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)

model = train.main(arguments)
out = Path(train.parse_args(arguments).out)
rank = int(os.environ.get("RANK", "0"))
train.save_safetensors(model.state_dict(), out / f"rank{rank}.safetensors")
if rank == 0:
    model.eval()
    with torch.no_grad():
        logits = model(train.load_safetensors(probe_input)["input"])
    train.save_safetensors({"logits": logits}, out / "probe-logits.safetensors")
faulthandler.cancel_dump_traceback_later()
