#!/usr/bin/env python3
"""Trains a Dsl network's PyTorch twin with DistributedDataParallel, one process per GPU or CPU worker.

The twin (model.py) and this script are written by Dsl's PyTorch export. Start one process per device
with torchrun (``python3 -m torch.distributed.run`` is the same program where no ``torchrun`` is on PATH):

    torchrun --nproc_per_node 2 train.py --data DIR
    torchrun --nnodes 2 --node_rank 0 --master_addr HOST --master_port 29500 \\
             --nproc_per_node 8 train.py --data DIR          # and --node_rank 1 on the second machine
    python3 train.py --data DIR                              # one process, no torchrun

DIR holds the four MNIST / Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, ...). The run mirrors the
.NET trainer with the sample's defaults: SGD (momentum 0.9, weight decay 5e-4), the one-cycle schedule
peaking at lr 0.05 and updated every step, batch 128, seed 42, images scaled to [0, 1], resized (bilinear)
to the model's input and normalised with the data set's mean and std. --batch-size is the batch of one
optimizer step over all processes, so the learning rate means the same whatever the number of processes.

Rank 0 writes to --out, after every epoch: model.safetensors (the state_dict, the .NET module's keys;
load it with Dsl.Runtime's PyTorchCheckpoint.Load) and metrics.csv (the .NET trainer's columns).
Gradients are averaged over processes (gloo on CPU, nccl on GPU); BatchNorm uses each process's batch
statistics unless --sync-bn (GPU only) is given.
"""

import argparse
import gzip
import importlib.util
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

# The canonical MNIST / Fashion-MNIST file names, the same the .NET runtime reads.
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# Channel mean and standard deviation of each training set (the .NET sample normalises with the same).
NORMALISATION = {"FashionMnist": (0.2860, 0.3530), "Mnist": (0.1307, 0.3081)}

METRICS_HEADER = "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"


# ---------------------------------------------------------------------------------------------- data

def read_idx(path):
    """An IDX file of unsigned bytes (gzip-compressed or raw) as a uint8 tensor: images [N, 1, H, W], labels [N]."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    rank = data[3]
    dims = struct.unpack(">" + "i" * rank, data[4:4 + 4 * rank])
    expected = 4 + 4 * rank + math.prod(dims)
    if len(data) != expected:
        raise ValueError(f"{path} holds {len(data):,} bytes once decompressed but its header declares {expected:,}; download it again")
    values = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)
    return values.unsqueeze(1) if rank == 3 else values


def load_split(folder, files):
    images, labels = (read_idx(Path(folder) / name) for name in files)
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {files[0]} holds {len(images):,} images but {files[1]} {len(labels):,} labels")
    return images, labels.long()


def prepare(batch, size, mean, std):
    """uint8 [B, C, H, W] -> float32: /255, bilinear resize (align_corners=False) when the size differs, normalise."""
    x = batch.float().div_(255)
    if x.shape[-2:] != (size[0], size[1]):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return x.sub_(mean).div_(std)


# ---------------------------------------------------------------------------------------- schedule

def learning_rate(args, step, steps_per_epoch):
    """The learning rate of optimizer step `step` (0-based): a pure function of the step, as the .NET LrSchedule."""
    total = max(1, args.epochs * max(1, steps_per_epoch))
    step = min(max(step, 0), total)
    base = args.lr
    if args.schedule == "constant":
        return base
    if args.schedule == "step":
        return base * args.step_gamma ** ((step // max(1, steps_per_epoch)) // args.step_epochs)
    if args.schedule == "cosine":
        return args.min_lr + (base - args.min_lr) * 0.5 * (1 + math.cos(math.pi * step / total))
    # one-cycle: cosine warm-up from lr/div to lr over pct_start of the steps, then cosine down to lr/div/final_div
    start = base / args.div_factor
    end = start / args.final_div_factor
    warm = max(1.0, args.pct_start * total)
    if step <= warm:
        return anneal(start, base, step / warm)
    return anneal(base, end, (step - warm) / max(1.0, total - warm))


def anneal(start, end, t):
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(max(t, 0.0), 1.0)))


def make_optimizer(args, parameters):
    if args.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.AdamW(parameters, lr=args.lr, weight_decay=args.weight_decay)


# -------------------------------------------------------------------------------------- safetensors

# safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, raw data.
_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}
_TORCH_DTYPES = {name: dtype for dtype, name in _DTYPES.items()}


def save_safetensors(tensors, path):
    """Writes named tensors as a safetensors file, atomically (a crash leaves the previous file)."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors data is little-endian; this writer runs on little-endian machines only")
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        # numpy has no bfloat16: write its bits through a 16-bit integer view.
        data = (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy().tobytes()
        header[name] = {"dtype": _DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def load_safetensors(path):
    """The named tensors of a safetensors file (such as one Dsl.Runtime's PyTorchCheckpoint.Save wrote)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = _TORCH_DTYPES[entry["dtype"]]
        flat = torch.frombuffer(bytearray(data[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


# ----------------------------------------------------------------------------------------- training

def load_network(model_file, class_name):
    """The network class of a twin module file: `class_name`, or the one class its __all__ names."""
    spec = importlib.util.spec_from_file_location(Path(model_file).stem, model_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if class_name is None:
        names = getattr(module, "__all__", [])
        if len(names) != 1:
            raise SystemExit(f"error: {model_file} names {len(names)} classes in __all__; pick one with --model-class")
        class_name = names[0]
    if not hasattr(module, class_name):
        raise SystemExit(f"error: {model_file} defines no class {class_name}")
    return getattr(module, class_name)


def batches(indices, size):
    for start in range(0, len(indices), size):
        yield indices[start:start + size]


def run_epoch(model, images, labels, indices, batch_size, transform, device, optimize=None):
    """One pass over `indices`, training when `optimize(loss)` is given; returns [loss sum, correct, count] of this process."""
    totals = torch.zeros(3, dtype=torch.float64, device=device)
    for chunk in batches(indices, batch_size):
        index = torch.tensor(chunk)
        x = transform(images[index].to(device))
        y = labels[index].to(device)
        logits = model(x).float()
        loss = F.cross_entropy(logits, y)
        if optimize is not None:
            optimize(loss)
        correct = (logits.argmax(1) == y).sum()
        totals += torch.stack([loss.detach().double() * len(chunk), correct.double(), torch.tensor(float(len(chunk)), device=device)])
    return totals


def all_sum(tensor):
    if dist.is_initialized():
        dist.all_reduce(tensor)
    return tensor


def write_metrics(path, rows):
    """metrics.csv as the .NET trainer writes it: the whole file, atomically, after every epoch."""
    def number(value):
        return "" if math.isnan(value) else f"{value:.6f}"

    def general(value):  # .NET's "G6": 0.002, 2E-06
        return f"{value:.6g}".upper()

    lines = [METRICS_HEADER] + [
        f"{r['epoch']},{number(r['train_loss'])},{number(r['train_acc'])},{number(r['val_loss'])},{number(r['val_acc'])},"
        f"{general(r['lr'])},{r['seconds']:.2f}"
        for r in rows]
    temporary = f"{path}.tmp"
    Path(temporary).write_text("\n".join(lines) + "\n")
    os.replace(temporary, path)


def parse_args(argv):
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with the four IDX files")
    p.add_argument("--dataset", choices=sorted(NORMALISATION), default="FashionMnist", help="names the normalisation (default FashionMnist)")
    p.add_argument("--model-file", default=str(here / "model.py"), help="the twin (default: model.py beside this script)")
    p.add_argument("--model-class", help="the network class (default: the one in the module's __all__)")
    p.add_argument("--out", default="runs/pytorch", help="folder for model.safetensors and metrics.csv (default runs/pytorch)")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier run in --out")
    p.add_argument("--init", help="start from these weights (a safetensors state_dict, e.g. saved from .NET)")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=128, help="images per optimizer step over all processes (default 128)")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate; the peak of the one-cycle schedule (default 0.05)")
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="sgd")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--schedule", choices=["constant", "step", "cosine", "onecycle"], default="onecycle")
    p.add_argument("--step-epochs", type=int, default=10)
    p.add_argument("--step-gamma", type=float, default=0.1)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--pct-start", type=float, default=0.3)
    p.add_argument("--div-factor", type=float, default=25.0)
    p.add_argument("--final-div-factor", type=float, default=1e4)
    p.add_argument("--clip", type=float, help="clip the global gradient norm to this value")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--limit", type=int, help="train on the first N images only")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="cuda: each process takes GPU LOCAL_RANK")
    p.add_argument("--sync-bn", action="store_true", help="BatchNorm statistics over all processes (GPU only)")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1; got {getattr(args, name)}")
    if not args.lr > 0:
        p.error(f"--lr must be greater than 0; got {args.lr}")
    if args.limit is not None and args.limit < 1:
        p.error(f"--limit must be at least 1; got {args.limit}")
    return args


def main(argv=None):
    """Trains the twin; returns the trained network (without the DDP wrapper) for callers that import this script."""
    args = parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if args.batch_size % world != 0:
        raise SystemExit(f"error: --batch-size {args.batch_size} cannot be split evenly over {world} processes; use a multiple of {world}")
    if args.sync_bn and not use_cuda:
        raise SystemExit("error: --sync-bn needs GPUs (PyTorch's SyncBatchNorm runs on CUDA only)")
    out = Path(args.out)
    checkpoint, metrics_csv = out / "model.safetensors", out / "metrics.csv"
    if rank == 0 and checkpoint.exists() and not args.overwrite:
        raise SystemExit(f"error: {checkpoint} already exists: pass --overwrite to replace it, or choose another --out")
    if use_cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if use_cuda else "gloo")
    log = print if rank == 0 else (lambda *_: None)

    # Weights start from the seed, as in .NET (the values differ: the two libraries draw differently).
    torch.manual_seed(args.seed)
    network = load_network(args.model_file, args.model_class)
    model = network()
    if args.init:
        model.load_state_dict(load_safetensors(args.init))
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if world > 1 else model

    channels, *size = network.input_shape
    classes = network.output_shape[0]
    train_images, train_labels = load_split(args.data, TRAIN_FILES)
    test_images, test_labels = load_split(args.data, TEST_FILES)
    if args.limit is not None:
        train_images, train_labels = train_images[:args.limit], train_labels[:args.limit]
    for name, images, labels in (("training", train_images, train_labels), ("test", test_images, test_labels)):
        if images.shape[1] != channels:
            raise SystemExit(f"error: {network.__name__} takes {channels}-channel input but the {name} images have {images.shape[1]}")
        if labels.numel() == 0 or labels.max() >= classes:
            raise SystemExit(f"error: the {name} labels must be in [0, {classes}) and not empty")
    mean, std = NORMALISATION[args.dataset]

    def transform(batch):
        return prepare(batch, size, mean, std)

    # Every process sees 1/world of each step's batch; together they see one permutation per epoch.
    per_process = args.batch_size // world
    sampler = DistributedSampler(range(len(train_images)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    steps_per_epoch = math.ceil(len(sampler) / per_process)
    optimizer = make_optimizer(args, model.parameters())
    backend = dist.get_backend() if dist.is_initialized() else "single process"
    log(f"{network.__name__}: {sum(p.numel() for p in model.parameters()):,} parameters; {world} process(es) ({backend}, {device.type}); "
        f"batch {args.batch_size} = {world} x {per_process}; {len(train_images):,} training and {len(test_images):,} test images from {args.data}")

    out.mkdir(parents=True, exist_ok=True)
    rows, step, lr = [], 0, learning_rate(args, 0, steps_per_epoch)

    def optimize(loss):
        nonlocal step, lr
        lr = learning_rate(args, step, steps_per_epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over the processes here
        if args.clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        step += 1

    for epoch in range(1, args.epochs + 1):
        started = time.time()
        sampler.set_epoch(epoch)
        # Dropout draws from a generator seeded by (seed, epoch), as in .NET.
        torch.manual_seed((args.seed * 1_000_003 + epoch) % 2**64)
        ddp.train()
        train = all_sum(run_epoch(ddp, train_images, train_labels, list(sampler), per_process, transform, device, optimize))

        # Validate rank 0's model, the one the checkpoint holds: the parameters are the same in every process, but
        # BatchNorm's running statistics were last updated with each process's own batch.
        if dist.is_initialized():
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)
        model.eval()
        with torch.no_grad():
            shard = list(range(rank, len(test_images), world))  # every test image exactly once over all processes
            val = all_sum(run_epoch(model, test_images, test_labels, shard, 2 * per_process, transform, device))
        row = {"epoch": epoch, "train_loss": (train[0] / train[2]).item(), "train_acc": (train[1] / train[2]).item(),
               "val_loss": (val[0] / val[2]).item(), "val_acc": (val[1] / val[2]).item(), "lr": lr,
               "seconds": time.time() - started}
        if not all(math.isfinite(row[k]) for k in ("train_loss", "val_loss", "val_acc")):
            kept = f"{checkpoint} still holds epoch {epoch - 1}" if epoch > 1 else "no checkpoint was written"
            raise SystemExit(f"error: training diverged in epoch {epoch} (learning rate {lr:.4g}); lower --lr or set --clip 1.0. {kept}")
        rows.append(row)
        if rank == 0:
            save_safetensors(model.state_dict(), checkpoint)
            write_metrics(metrics_csv, rows)
        log(f"epoch {epoch}/{args.epochs}: train loss {row['train_loss']:.4f}, acc {row['train_acc']:.1%}; "
            f"test loss {row['val_loss']:.4f}, acc {row['val_acc']:.1%}; lr {lr:.4g}; {row['seconds']:.1f} s "
            f"({train[2].item() / row['seconds']:.0f} images/s)")
    log(f"wrote {checkpoint} and {metrics_csv}")
    if dist.is_initialized():
        dist.destroy_process_group()
    return model


if __name__ == "__main__":
    main()
