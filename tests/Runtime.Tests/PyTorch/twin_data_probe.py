"""Runs train.py's main in this process, then prints raw samples of its training data (TwinDataTests).

Usage: twin_data_probe.py TRAIN_PY INDICES -- TRAIN_ARGUMENTS...
INDICES: comma-separated indices of the training source (before transforms and splits), or "-" for none. Each is
printed as one line `sample I: {"source": ..., "shape": [...], "input": [flat values], "target": ...}`.
"""

import importlib.util
import json
import sys

train_py, indices, separator, *arguments = sys.argv[1:]
assert separator == "--", __doc__
spec = importlib.util.spec_from_file_location("train", train_py)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)

train.main(arguments)
if indices != "-":
    args = train.parse_args(arguments)
    network = train.load_network(args.model_file, args.model_class)
    prepared = train.load_data(args, network)[0]
    for index in map(int, indices.split(",")):
        x, y = prepared.source.read(index)
        print(f"sample {index}: " + json.dumps({"source": prepared.source.source(index), "shape": list(x.shape),
                                                 "input": x.flatten().tolist(), "target": y.tolist()}))
