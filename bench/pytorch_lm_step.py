"""gpt-mini's training step in PyTorch eager, through its exported twin, driven by the benchmark program.

Usage: python3 pytorch_lm_step.py --threads N --twin model.py --weights init.safetensors --batch B

Loads the twin's network class with the .NET module's starting weights, then prints "ready <torch version> <parameter
count>"; for every line "steps K" on standard input runs K AdamW steps on a fixed batch of B windows of token ids
(forward, next-token cross-entropy over every position, backward, optimizer step) and prints "seconds <elapsed>
<processor seconds>". "quit" ends. The benchmark program interleaves these requests with its own steps.
"""
import argparse
import importlib.util
import sys
import time

import torch
from torch.nn import functional as F


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--twin", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--batch", type=int, required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    spec = importlib.util.spec_from_file_location("twin", a.twin)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    network = getattr(twin, twin.__all__[0])
    spec = importlib.util.spec_from_file_location("train", a.twin.replace("model.py", "train.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    torch.manual_seed(0)
    net = network()
    net.load_state_dict(train.load_safetensors(a.weights))
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.1)
    length, vocabulary = network.output_shape
    x = torch.randint(0, vocabulary, (a.batch, length))
    y = torch.randint(0, vocabulary, (a.batch, length))
    print(f"ready {torch.__version__} {sum(t.numel() for t in net.parameters())}", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        steps = int(parts[1])
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            opt.zero_grad()
            logits = net(x)
            loss = F.cross_entropy(logits.reshape(-1, vocabulary), y.reshape(-1))
            loss.backward()
            opt.step()
        print(f"seconds {time.perf_counter() - start:.6f} {time.process_time() - cpu:.6f}", flush=True)


if __name__ == "__main__":
    main()
