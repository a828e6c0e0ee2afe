"""train.py's tasks beside the .NET runtime's (TwinTaskTests).

Usage:
  twin_task_check.py compare TRAIN_PY CASES_JSON
      CASES_JSON holds a list of cases {"task", "options", "output", "output_shape", "target", "target_shape"}
      (flat values). For each, prints one line `case I: {"loss", "statistics", "metric", "extra"}` from train.py's task
      (NaN as null), and for {"transform", "input", "input_shape"} cases the transformed input and its shape.
  twin_task_check.py options TRAIN_PY ARGUMENTS_JSON
      ARGUMENTS_JSON holds a list of argument lists; prints `options I: MESSAGE` with parse_args's error message for each
      (or `options I: accepted`).
  twin_task_check.py run TRAIN_PY -- TRAIN_ARGUMENTS...
      Runs train.py's main, then scores the trained model on the run's validation data in one batch with formulas
      written here in numpy (not train.py's), and prints `independent: {"task", "val_loss", "val_metric", "val_extra"}`.
"""

import contextlib
import importlib.util
import io
import json
import math
import sys

import numpy as np
import torch
from torch.nn import functional as F

mode, train_py, *rest = sys.argv[1:]
spec = importlib.util.spec_from_file_location("train", train_py)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)


def plain(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def make(case):
    o = case.get("options", {})
    if case["task"] == "classification":
        return train.ClassificationTask(o.get("label_smoothing", 0.0))
    if case["task"] == "segmentation":
        return train.SegmentationTask(o["classes"], o.get("ignore_index", 255))
    return train.RegressionTask(o.get("loss", "mse"))


if mode == "compare":
    with open(rest[0]) as f:
        cases = json.load(f)
    for i, case in enumerate(cases):
        if "transform" in case:
            x = torch.tensor(case["input"], dtype=torch.float32).reshape(case["input_shape"])
            steps = train.parse_transforms(case["transform"])
            for step in steps:
                x = step.transform(x)
            print(f"case {i}: " + json.dumps({"shape": list(x.shape), "values": x.flatten().tolist(), "text": "; ".join(map(repr, steps))}))
            continue
        task = make(case)
        output = torch.tensor(case["output"], dtype=torch.float32).reshape(case["output_shape"])
        dtype = torch.float32 if case["task"] == "regression" else torch.int64
        target = torch.tensor(case["target"], dtype=dtype).reshape(case["target_shape"])
        loss = task.loss(output, target)
        statistics = task.statistics(output, target).tolist()
        metric, extra = task.compute(statistics)
        print(f"case {i}: " + json.dumps({"loss": loss.item(), "statistics": statistics, "metric": plain(metric), "extra": [plain(v) for v in extra]}))
    sys.exit(0)

if mode == "options":
    with open(rest[0]) as f:
        argument_lists = json.load(f)
    for i, arguments in enumerate(argument_lists):
        error = io.StringIO()
        try:
            with contextlib.redirect_stderr(error):
                train.parse_args(arguments)
            message = "accepted"
        except SystemExit:
            message = error.getvalue().strip().splitlines()[-1].split("error: ", 1)[1]  # argparse's "PROG: error: MESSAGE"
        print(f"options {i}: {message}")
    sys.exit(0)

assert mode == "run" and rest[0] == "--", __doc__
arguments = rest[1:]
model = train.main(arguments)
args = train.parse_args(arguments)
network = train.load_network(args.model_file, args.model_class)
_, val, task, prepare, _ = train.load_data(args, network)
xs, ys = zip(*[(x, y) for x, y, _ in (val[k] for k in range(len(val)))])
x, y = prepare(torch.stack(xs)), torch.stack(ys)
model.eval()
with torch.no_grad():
    out = model(x).float()
o, t = out.double().numpy(), y.numpy()

if task.name == "classification":
    loss = F.cross_entropy(out, y, label_smoothing=task.label_smoothing).item()
    k = min(5, o.shape[1])
    best = np.argsort(-o, axis=1)
    metric = float(np.mean(best[:, 0] == t))
    extra = [float(np.mean([t[i] in best[i, :k] for i in range(len(t))]))]
elif task.name == "segmentation":
    keep = t != task.ignore_index
    loss = F.cross_entropy(out, y, ignore_index=task.ignore_index).item()
    p = o.argmax(1)
    ious = []
    for c in range(o.shape[1]):
        union = np.sum(((p == c) | (t == c)) & keep)
        if union > 0:
            ious.append(np.sum((p == c) & (t == c) & keep) / union)
    metric = float(np.mean(ious))
    extra = [float(np.mean(p[keep] == t[keep]))]
else:
    target = t.reshape(len(t), -1).astype(np.float64)
    pred = o.reshape(len(o), -1)
    losses = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}
    loss = losses[task.loss_kind](out, y.float().reshape(out.shape)).item()
    r2 = [1 - np.sum((target[:, j] - pred[:, j]) ** 2) / np.sum((target[:, j] - target[:, j].mean()) ** 2) for j in range(target.shape[1])]
    metric = float(np.mean(r2))
    extra = [float(np.mean(np.abs(target - pred)))]
print("independent: " + json.dumps({"task": task.name, "val_loss": loss, "val_metric": metric, "val_extra": extra}))
