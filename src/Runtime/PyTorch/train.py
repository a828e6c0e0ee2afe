#!/usr/bin/env python3
"""Trains a Dsl network's PyTorch twin with DistributedDataParallel, one process per GPU or CPU worker.

The twin (model.py) and this script are written by Dsl's PyTorch export. Start one process per device
with torchrun (``python3 -m torch.distributed.run`` is the same program where no ``torchrun`` is on PATH):

    torchrun --nproc_per_node 2 train.py --data DIR
    torchrun --nnodes 2 --node_rank 0 --master_addr HOST --master_port 29500 \\
             --nproc_per_node 8 train.py --data DIR          # and --node_rank 1 on the second machine
    python3 train.py --data DIR                              # one process, no torchrun

--data reads what the .NET runtime reads, with the same words (--format, detected from the path by default):
MNIST-format IDX folders, image folders (one subfolder per class), CIFAR-10/100 binary batches, CSV files,
NumPy .npy/.npz arrays, segmentation folders (images/ and masks/) and UTF-8 text files for language models
(--tokenizer bytes or gpt2; windows of the model's input length; --val-fraction holds out the end of the text). Validation data come from --val-data,
the layout's own split (IDX t10k files, the CIFAR test batch, train/ and val/ folders) or --val-fraction (the
.NET runtime's seeded split, the same samples). --transforms takes torchvision transforms in the shared
syntax (``RandomResizedCrop(224); RandomHorizontalFlip(); Normalize(mean=[...], std=[...])``) or a preset
(imagenet, cifar, none), built with torchvision's own classes on the DataLoader's workers (--workers).

The run mirrors the .NET trainer with the sample's defaults: SGD (momentum 0.9, weight decay 5e-4), the
one-cycle schedule peaking at lr 0.05 and updated every step, batch 128, seed 42. Without --transforms, IDX
images are scaled to [0, 1], resized (bilinear) to the model's input and normalised with the data set's mean
and std, as in .NET; images of other sources are scaled to [0, 1] and take their size from --transforms.
--batch-size is the batch of one optimizer step over all processes, so the learning rate means the same
whatever the number of processes.

Fine-tuning, with the .NET runtime's meaning: --init-from loads a .pth or safetensors state dict in the twin's
layout (torchvision's, for the torchvision networks), skipping the classifier's keys when their shape differs;
--classes N replaces the last nn.Linear of a classifier declared for another number of classes (a new nn.Linear,
PyTorch's default initialisation from --seed); --freeze 'layer1.*,layer2.*' sets requires_grad=False on the
parameters whose names match (fnmatch, case-sensitive) and keeps BatchNorm layers whose parameters are all frozen
in eval mode, so their running statistics do not change; --lr-for 'fc.*=0.01' gives the matching parameters
their own base learning rate, scaled by the schedule like --lr. The optimizer receives the trainable parameters only.

The task, with the .NET runtime's meaning and words: --task classification | sequence-classification | segmentation |
regression | language-model (default from the targets: classes, masks, values, text); --label-smoothing X for
classification, --loss mse | mae | huber (delta 1.0) for regression. Metrics are the whole epoch's, from statistics
summed over batches and processes: top-1 and top-5 accuracy; mean IoU and pixel accuracy from a confusion matrix; R²
and MAE; next-token accuracy and perplexity (exp of the mean cross-entropy over every token).

Rank 0 writes to --out, after every epoch: model.safetensors (the state_dict, the .NET module's keys;
load it with Dsl.Runtime's PyTorchCheckpoint.Load) and metrics.csv (the .NET trainer's columns for the task:
epoch,train_loss,train_KEY,val_loss,val_KEY,lr,seconds,val_EXTRA with KEY acc, miou or r2 and EXTRA top5,
pixel_acc, mae or ppl).
Gradients are averaged over processes (gloo on CPU, nccl on GPU); BatchNorm uses each process's batch
statistics unless --sync-bn (GPU only) is given.
"""

import argparse
import ast
import re
import bisect
import csv
import fnmatch
import functools
import gzip
import importlib.util
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import transforms as T
from torchvision.datasets import ImageFolder
from torchvision.transforms import functional as TF

# ---------------------------------------------------------------------------------------------- data

# The data sources, by the words of --format (the .NET runtime's --format uses the same).
FORMATS = {
    "idx": "a folder with the MNIST-format files train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (t10k-* for validation)",
    "image-folder": "a folder with one subfolder of images per class, or train/ and val/ (or test/) folders of those",
    "cifar10": "the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin and test_batch.bin (cifar-10-batches-bin)",
    "cifar100": "the CIFAR-100 binary version: train.bin, test.bin and fine_label_names.txt (cifar-100-binary)",
    "csv": "a .csv file of numeric feature columns and a target column",
    "npy": "a .npy file of inputs (targets in --npy-targets) or a .npz archive holding inputs and targets",
    "segmentation": "a folder with images/ and masks/ (8-bit PNGs holding a class index per pixel), or train/ and val/ folders of those",
    "text": "a UTF-8 text file (.txt) for a language model, tokenized with --tokenizer and cut into windows of the model's input length",
}

# The canonical MNIST / Fashion-MNIST file names, the same the .NET runtime reads (gzip-compressed, or raw without .gz).
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# Channel mean and standard deviation of each training set (the .NET sample normalises IDX images with the same).
NORMALISATION = {"FashionMnist": (0.2860, 0.3530), "Mnist": (0.1307, 0.3081)}

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# PIL's conversions, as the .NET runtime's ImageMode: grey from colour is L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
PIL_MODES = {"rgb": "RGB", "grey": "L"}


class DataError(Exception):
    """Bad data; the message names the file (and row, column or pixel) and the fix."""


def fail(message):
    raise SystemExit(f"error: {message}")


def read_idx(path):
    """An IDX file of unsigned bytes (gzip-compressed or raw) as a uint8 tensor: images [N, 1, H, W], labels [N]."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes")
    rank = data[3]
    dims = struct.unpack(">" + "i" * rank, data[4:4 + 4 * rank])
    expected = 4 + 4 * rank + math.prod(dims)
    if len(data) != expected:
        raise DataError(f"{path} holds {len(data):,} bytes once decompressed but its header declares {expected:,}; download it again")
    values = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)
    return values.unsqueeze(1) if rank == 3 else values


def idx_file(folder, name):
    """The IDX file `name` in `folder`, gzip-compressed (name) or raw (name without .gz); None when neither exists."""
    for candidate in (Path(folder) / name, Path(folder) / name[:-3]):
        if candidate.is_file():
            return candidate
    return None


def convert_channels(image, mode, source):
    """uint8 [C, H, W] to the channels of `mode` with PIL's arithmetic (grey: L from RGB; rgb: the grey channel repeated)."""
    channels = image.shape[0]
    if mode is None or (mode, channels) in (("grey", 1), ("rgb", 3)):
        return image
    if image.dtype != torch.uint8 or channels not in (1, 3):
        raise DataError(f"{source} has {channels} channels of {image.dtype}; --image-mode converts 8-bit images of 1 or 3 channels only")
    if mode == "rgb":
        return image.expand(3, -1, -1).clone()
    r, g, b = image.int()
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).to(torch.uint8).unsqueeze(0)


def load_image(path, mode):
    """An image file as uint8 [C, H, W] through PIL's convert("RGB") or convert("L")."""
    try:
        with Image.open(path) as image:
            image = image.convert(PIL_MODES[mode])
    except (OSError, ValueError, SyntaxError) as e:
        raise DataError(f"{path} cannot be read as an image ({e}); replace or remove the file") from None
    pixels = torch.from_numpy(np.array(image, dtype=np.uint8))
    return pixels.unsqueeze(0) if pixels.dim() == 2 else pixels.permute(2, 0, 1).contiguous()


class Source:
    """A data source: random access to raw samples (images uint8 [C, H, W]) and their targets.

    kind is "class" (int64 scalar targets), "value" (float32 [K]) or "mask" (int64 [H, W]); classes names the classes;
    labels holds the class of every sample when known without reading it.
    """

    kind = "class"
    classes = None
    labels = None
    images = True

    def __len__(self):
        raise NotImplementedError

    def read(self, index):
        raise NotImplementedError

    def source(self, index):
        return f"{self.name} sample {index}"


class IdxSource(Source):
    """The MNIST-format files of a folder, held in memory as today."""

    def __init__(self, folder, files, mode):
        paths = [idx_file(folder, name) for name in files]
        for name, path in zip(files, paths):
            if path is None:
                raise DataError(f"{folder} has no {name} (or {name[:-3]}); {FORMATS['idx']}")
        self.name = str(folder)
        self.images_, labels = read_idx(paths[0]), read_idx(paths[1])
        if len(self.images_) != len(labels):
            raise DataError(f"{folder}: {paths[0].name} holds {len(self.images_):,} images but {paths[1].name} {len(labels):,} labels")
        self.labels = labels.long()
        self.classes = [str(c) for c in range(int(self.labels.max()) + 1)] if len(self.labels) else []
        self.mode = mode

    def __len__(self):
        return len(self.images_)

    def read(self, index):
        return convert_channels(self.images_[index], self.mode, self.source(index)), self.labels[index]

    def source(self, index):
        return f"{self.name} image {index}"


class FolderWithClasses(ImageFolder):
    """torchvision's ImageFolder, optionally with the classes of another folder (a validation folder keeps the training indices)."""

    def __init__(self, root, loader, classes=None):
        self.given_classes = classes
        super().__init__(str(root), loader=loader, is_valid_file=lambda p: p.lower().endswith(IMAGE_EXTENSIONS))

    def find_classes(self, directory):
        found = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
        if self.given_classes is None:
            if not found:
                raise DataError(f"{directory} has no class subfolders; {FORMATS['image-folder']}")
            return found, {name: i for i, name in enumerate(found)}
        unknown = [name for name in found if name not in self.given_classes]
        if unknown:
            raise DataError(f"{directory} has the class folder(s) {', '.join(unknown)} that the training data lacks "
                            f"(its classes: {', '.join(self.given_classes)}); rename or remove them")
        return list(self.given_classes), {name: i for i, name in enumerate(self.given_classes)}


class ImageFolderSource(Source):
    """One subfolder of images per class (torchvision's ImageFolder, read with --image-mode)."""

    def __init__(self, root, mode, classes=None):
        self.name = str(root)
        if classes is None:
            for entry in sorted(os.scandir(root), key=lambda e: e.name):
                if entry.is_dir() and not any(f.lower().endswith(IMAGE_EXTENSIONS) for _, _, files in os.walk(entry.path) for f in files):
                    raise DataError(f"the class folder {entry.path} holds no images ({', '.join(IMAGE_EXTENSIONS)}); add images or remove it")
        try:
            self.folder = FolderWithClasses(root, functools.partial(load_image, mode=mode), classes)
        except FileNotFoundError as e:
            raise DataError(f"{root}: {e}") from None
        self.classes = list(self.folder.classes)
        self.labels = torch.tensor(self.folder.targets, dtype=torch.long)

    def __len__(self):
        return len(self.folder)

    def read(self, index):
        image, label = self.folder[index]
        return image, torch.tensor(label, dtype=torch.long)

    def source(self, index):
        return self.folder.samples[index][0]


class CifarSource(Source):
    """CIFAR binary batches, read in place (np.memmap): each record is the label byte(s), then 3072 bytes of CHW pixels."""

    def __init__(self, files, fine, classes, mode):
        self.record = 3074 if fine else 3073
        self.name = ", ".join(str(f) for f in files)
        self.files, self.maps, self.starts = list(files), [], [0]
        for f in self.files:
            size = f.stat().st_size
            if size == 0 or size % self.record:
                raise DataError(f"{f} holds {size:,} bytes, not a whole number of {self.record}-byte CIFAR-{100 if fine else 10} records; download it again")
            self.maps.append(np.memmap(f, dtype=np.uint8, mode="r").reshape(-1, self.record))
            self.starts.append(self.starts[-1] + len(self.maps[-1]))
        # CIFAR-100 records hold (coarse, fine) labels; the fine one is the class.
        self.labels = torch.from_numpy(np.concatenate([m[:, self.record - 3073] for m in self.maps]).astype(np.int64))
        self.classes = classes
        self.mode = mode

    def locate(self, index):
        f = bisect.bisect_right(self.starts, index) - 1
        return f, index - self.starts[f]

    def __len__(self):
        return self.starts[-1]

    def read(self, index):
        f, row = self.locate(index)
        image = torch.from_numpy(np.array(self.maps[f][row, -3072:])).reshape(3, 32, 32)
        return convert_channels(image, self.mode, self.source(index)), self.labels[index]

    def source(self, index):
        f, row = self.locate(index)
        return f"{self.files[f].name} record {row}"


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def is_integer(text):
    return text.strip().lstrip("+-").isdigit()


class CsvSource(Source):
    """Rows of numeric features and one target column (--target, default the last), read with the csv module."""

    images = False

    def __init__(self, path, target, target_kind, classes=None):
        self.name = str(path)
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
        if not rows:
            raise DataError(f"{path} is empty; {FORMATS['csv']}")
        first = rows[0][1]
        width = len(first)
        if width < 2:
            raise DataError(f"{path} line {rows[0][0]} has {width} column; a CSV needs feature columns and a target column")
        # The target column: a name of the first row (which is then a header), or a 0-based index.
        named = target is not None and target in first
        if target is None:
            column = width - 1
        elif named:
            column = first.index(target)
        elif is_integer(target) and 0 <= int(target) < width:
            column = int(target)
        else:
            raise DataError(f"--target {target} is neither a column name of {path}'s first row ({', '.join(first)}) nor a column index below {width}")
        header = named or any(not is_number(cell) for j, cell in enumerate(first) if j != column)
        names = first if header else [f"column {j}" for j in range(width)]
        body = rows[1:] if header else rows
        if not body:
            raise DataError(f"{path} has a header and no rows")
        features, cells = [], []
        for line, row in body:
            if len(row) != width:
                raise DataError(f"{path} line {line} has {len(row)} cells but the first row has {width}; every row needs one value per column")
            values = []
            for j, cell in enumerate(row):
                cell = cell.strip()
                if cell == "":
                    raise DataError(f"{path} line {line}, column {names[j]}: missing value; fill it in or remove the row")
                if j == column:
                    cells.append((line, cell))
                    continue
                try:
                    values.append(float(cell))
                except ValueError:
                    raise DataError(f"{path} line {line}, column {names[j]}: '{cell}' is not a number; features must be numeric") from None
            features.append(values)
        self.features = torch.tensor(features, dtype=torch.float32)
        self.target_name = names[column]
        self.lines = [line for line, _ in cells]
        texts = [cell for _, cell in cells]
        if target_kind == "auto":
            target_kind = "class" if all(is_integer(t) for t in texts) or not all(is_number(t) for t in texts) else "value"
        if target_kind == "value":
            self.kind = "value"
            targets = []
            for line, text in cells:
                if not is_number(text):
                    raise DataError(f"{path} line {line}, column {self.target_name}: '{text}' is not a number; --target-kind value needs numeric targets")
                targets.append([float(text)])
            self.targets = torch.tensor(targets, dtype=torch.float32)
            return
        if classes is None:
            # Integer ids are the classes themselves; otherwise the names, sorted ordinally, are.
            if all(is_integer(t) for t in texts):
                ids = [int(t) for t in texts]
                if min(ids) < 0:
                    line = cells[ids.index(min(ids))][0]
                    raise DataError(f"{path} line {line}, column {self.target_name}: class {min(ids)} is negative; class ids start at 0")
                classes = [str(c) for c in range(max(ids) + 1)]
            else:
                classes = sorted(set(texts))
        self.classes = list(classes)
        index = {name: i for i, name in enumerate(self.classes)}
        labels = []
        for line, text in cells:
            key = str(int(text)) if is_integer(text) and str(int(text)) in index else text
            if key not in index:
                raise DataError(f"{path} line {line}, column {self.target_name}: class '{text}' is not one of the training classes ({', '.join(self.classes)})")
            labels.append(index[key])
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.targets = self.labels

    def __len__(self):
        return len(self.features)

    def read(self, index):
        return self.features[index], self.targets[index]

    def source(self, index):
        return f"{self.name} line {self.lines[index]}"


class ArraySource(Source):
    """NumPy arrays: a .npy file of inputs (read in place, mmap_mode="r") with a .npy of targets, or a .npz archive of both.

    uint8 inputs of rank 3 per sample (or rank 2, grey) are images; --channels-last reads [N, H, W, C]. Integer targets
    [N] are classes, float targets [N] or [N, K] values, integer targets [N, H, W] masks.
    """

    def __init__(self, path, args, mode, classes=None, targets_file=None):
        self.name = str(path)
        if path.suffix == ".npz":
            archive = np.load(path)
            inputs_key = self.key(path, archive, args.npz_inputs, ("x", "inputs", "data", "images"), "--npz-inputs")
            targets_key = self.key(path, archive, args.npz_targets, ("y", "targets", "labels"), "--npz-targets")
            self.inputs, targets = archive[inputs_key], archive[targets_key]
            self.name = f"{path}[{inputs_key}]"
            targets_name = f"{path}[{targets_key}]"
        else:
            if targets_file is None:
                sibling = path.with_name("y" + path.name[1:]) if path.name.lower().startswith("x") else None
                if sibling is None or not sibling.is_file():
                    raise DataError(f"{path} holds inputs only; name its targets file with --npy-targets (a file named "
                                    f"like the inputs with y for x, such as y_train.npy for x_train.npy, is taken by default)")
                targets_file = sibling
            self.inputs = np.load(path, mmap_mode="r")
            targets = np.load(targets_file, mmap_mode="r")
            targets_name = str(targets_file)
        if len(self.inputs) != len(targets):
            raise DataError(f"{self.name} holds {len(self.inputs):,} samples but {targets_name} {len(targets):,} targets; they must pair up")
        self.channels_last = args.channels_last
        if self.channels_last and self.inputs.ndim != 4:
            raise DataError(f"{self.name} is {list(self.inputs.shape)}; --channels-last reads [N, H, W, C] arrays")
        self.mode = mode
        self.images = self.inputs.dtype == np.uint8 and self.inputs.ndim in (3, 4)
        kind = args.target_kind
        integral = np.issubdtype(targets.dtype, np.integer)
        if targets.ndim == 3:
            self.kind = "mask"
        elif kind == "value" or (kind == "auto" and not integral):
            self.kind = "value"
        else:
            self.kind = "class"
        if self.kind == "value":
            self.targets = torch.from_numpy(np.asarray(targets, dtype=np.float32).reshape(len(targets), -1))
        elif self.kind == "class":
            values = np.asarray(targets)
            if values.ndim != 1 or not np.all(values == np.round(values)):
                raise DataError(f"{targets_name} is {list(values.shape)} of {values.dtype}; class targets are integers [N] (pass --target-kind value for values)")
            self.labels = torch.from_numpy(values.astype(np.int64))
            if len(self.labels) and int(self.labels.min()) < 0:
                raise DataError(f"{targets_name} holds class {int(self.labels.min())}; class ids start at 0")
            self.targets = self.labels
            self.classes = list(classes) if classes is not None else [str(c) for c in range(int(self.labels.max()) + 1 if len(self.labels) else 0)]
        else:
            self.targets = targets
            self.classes = [str(c) for c in range(args.classes)] if args.classes else None

    @staticmethod
    def key(path, archive, chosen, defaults, option):
        keys = list(archive.keys())
        if chosen is not None:
            if chosen not in keys:
                raise DataError(f"{path} has no array {chosen} ({option}); its arrays: {', '.join(keys)}")
            return chosen
        for name in defaults:
            if name in keys:
                return name
        raise DataError(f"{path} holds the arrays {', '.join(keys)}: name the one to read with {option} (default: the first of {', '.join(defaults)})")

    def __len__(self):
        return len(self.inputs)

    def read(self, index):
        x = torch.from_numpy(np.array(self.inputs[index]))
        if self.channels_last:
            x = x.permute(2, 0, 1).contiguous()
        elif self.images and x.dim() == 2:
            x = x.unsqueeze(0)
        if self.images:
            x = convert_channels(x, self.mode, self.source(index))
        if self.kind == "mask":
            return x, torch.from_numpy(np.array(self.targets[index])).long()
        return x, self.targets[index]

    def source(self, index):
        return f"{self.name} sample {index}"


class SegmentationSource(Source):
    """Images and masks paired by file stem: images/NAME.* with masks/NAME.png (8-bit, a class index per pixel)."""

    kind = "mask"

    def __init__(self, root, mode, classes, ignore_index):
        self.name = str(root)
        images = self.files(root / "images")
        masks = self.files(root / "masks")
        for stem, path in images.items():
            if stem not in masks:
                raise DataError(f"{path} has no mask in {root / 'masks'} (a PNG named {stem}.png); add it or remove the image")
        for stem, path in masks.items():
            if stem not in images:
                raise DataError(f"{path} has no image in {root / 'images'} (a file named {stem}.*); add it or remove the mask")
        if not images:
            raise DataError(f"{root / 'images'} holds no images")
        self.pairs = [(images[s], masks[s]) for s in sorted(images)]
        self.mode, self.ignore_index = mode, ignore_index
        self.classes = [str(c) for c in range(classes)]

    @staticmethod
    def files(folder):
        found = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
                if path.stem in found:
                    raise DataError(f"{found[path.stem]} and {path} share the name {path.stem}; images and masks pair by name, so keep one")
                found[path.stem] = path
        return found

    def __len__(self):
        return len(self.pairs)

    def read(self, index):
        image_path, mask_path = self.pairs[index]
        image = load_image(image_path, self.mode)
        try:
            with Image.open(mask_path) as m:
                if m.mode not in ("L", "P"):
                    raise DataError(f"{mask_path} is a {m.mode} image; masks are 8-bit grey (or palette) PNGs holding a class index per pixel")
                mask = torch.from_numpy(np.array(m, dtype=np.uint8)).long()
        except (OSError, ValueError, SyntaxError) as e:
            raise DataError(f"{mask_path} cannot be read as an image ({e}); replace or remove the file") from None
        if tuple(mask.shape) != tuple(image.shape[1:]):
            raise DataError(f"{mask_path} is {mask.shape[1]}x{mask.shape[0]} but its image {image_path} is {image.shape[2]}x{image.shape[1]}; a mask must have its image's size")
        bad = (mask >= len(self.classes)) & (mask != self.ignore_index)
        if bool(bad.any()):
            y, x = (int(v) for v in bad.nonzero()[0])
            raise DataError(f"{mask_path} pixel (x={x}, y={y}) holds {int(mask[y, x])}, outside the {len(self.classes)} classes "
                            f"0..{len(self.classes) - 1} and not the ignore index {self.ignore_index}; fix the mask or pass --classes / --ignore-index")
        return image, mask

    def source(self, index):
        return str(self.pairs[index][0])


TOKENIZERS = {"gpt2": 50257, "bytes": 256}  # the .NET runtime's TextTokenizer names and vocabulary sizes


def tokenize(text, name):
    """The token ids of `text`: GPT-2's byte-pair encoding (tiktoken's "gpt2", the ids of the .NET runtime's
    Microsoft.ML.Tokenizers) or one id per UTF-8 byte."""
    if name == "bytes":
        return list(text.encode("utf-8"))
    try:
        import tiktoken
    except ImportError:
        fail("--tokenizer gpt2 needs the tiktoken package (pip install tiktoken); a byte-level model takes --tokenizer bytes")
    return tiktoken.get_encoding("gpt2").encode_ordinary(text)


class SplitMix:
    """The .NET runtime's TransformRandom: SplitMix64 keyed by (seed, epoch, index); the same draws in both runtimes."""

    def __init__(self, seed, epoch, index):
        self.state = ((seed * 0x9E3779B97F4A7C15) ^ (epoch * 0xC2B2AE3D27D4EB4F) ^ (index * 0x165667B19E3779F9) ^ 0x27D4EB2F165667C5) & _MASK64
        self.next()  # decorrelate nearby keys

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)


class TextSource(Source):
    """Token ids cut into contiguous windows of `context` tokens, the .NET runtime's TextCorpus: sample i is window i
    as input and the same window moved one token on as target, both int64 [context]. The windows do not overlap;
    while training (`epoch` set) they start at an offset drawn per epoch from the seed, the .NET runtime's offset, so
    over epochs every token is seen at every position."""

    kind = "tokens"
    images = False

    def __init__(self, name, tokens, context, tokenizer, characters):
        self.name, self.tokens, self.context, self.tokenizer = name, tokens, context, tokenizer
        self.count = max(0, (len(tokens) - context) // context)  # room for the largest offset, context - 1 tokens
        self.seed, self.epoch = 0, None
        if self.count == 0:
            raise DataError(f"{name}: {len(tokens):,} tokens ({characters:,} characters, {tokenizer} tokenizer) do not fill one window of "
                            f"{context} tokens plus the next one; give a longer text, a smaller validation fraction, or a model with a shorter context")

    def __len__(self):
        return self.count

    def read(self, index):
        start = index * self.context
        if self.epoch is not None:
            start += SplitMix(self.seed, self.epoch, -1).next() % self.context
        window = self.tokens[start:start + self.context + 1]
        return window[:-1].clone(), window[1:].clone()

    def source(self, index):
        return f"{self.name} tokens {index * self.context}.."


def open_text(path, tokenizer, context, fraction=None):
    """(training TextSource, validation TextSource or None) of a UTF-8 text file, the .NET runtime's TextCorpus.Open:
    with `fraction`, the last part of the tokens validates (the end of the text, not scattered windows)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path} cannot be read as UTF-8 text ({e}); give a UTF-8 text file") from None
    tokens = torch.tensor(tokenize(text, tokenizer), dtype=torch.long)
    name = Path(path).name
    if fraction is None:
        return TextSource(name, tokens, context, tokenizer, len(text)), None
    split = round(len(tokens) * (1 - fraction))
    return (TextSource(f"{name} (first {1 - fraction:.3g})", tokens[:split], context, tokenizer, len(text)),
            TextSource(f"{name} (last {fraction:.3g})", tokens[split:], context, tokenizer, len(text)))


def detect_format(path):
    """The format of `path` and the folder (or file) to read: the layout decides where it is unambiguous."""
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return "csv", path
        if suffix in (".npy", ".npz"):
            return "npy", path
        if suffix == ".bin":
            return detect_format(path.parent)
        if suffix in (".txt", ".text"):
            return "text", path
    elif path.is_dir():
        if idx_file(path, TRAIN_FILES[0]) and idx_file(path, TRAIN_FILES[1]):
            return "idx", path
        for base in (path, path / "cifar-10-batches-bin"):
            if (base / "data_batch_1.bin").is_file():
                return "cifar10", base
        for base in (path, path / "cifar-100-binary"):
            if (base / "train.bin").is_file() and ((base / "fine_label_names.txt").is_file() or base.name == "cifar-100-binary"):
                return "cifar100", base
        if ((path / "images").is_dir() and (path / "masks").is_dir()) or ((path / "train" / "images").is_dir() and (path / "train" / "masks").is_dir()):
            return "segmentation", path
        if any(entry.is_dir() for entry in path.iterdir()):
            return "image-folder", path
    known = "\n".join(f"  {name}: {text}" for name, text in FORMATS.items())
    fail(f"cannot tell the format of {path}; pass --format with one of:\n{known}")


def split_folders(root):
    """(train, validation or None) of a folder that may hold train/ and val/ (or test/) subfolders."""
    if (root / "train").is_dir():
        for name in ("val", "test"):
            if (root / name).is_dir():
                return root / "train", root / name
        return root / "train", None
    return root, None


def open_source(path, fmt, args, mode, classes=None, validation=False):
    """(training source, the layout's own validation source or None) of `path` in format `fmt`; `classes` are the training
    data's when `path` is --val-data."""
    if fmt == "idx":
        train = IdxSource(path, TRAIN_FILES, mode)
        has_test = idx_file(path, TEST_FILES[0]) and idx_file(path, TEST_FILES[1])
        return train, IdxSource(path, TEST_FILES, mode) if has_test else None
    if fmt in ("cifar10", "cifar100"):
        fine = fmt == "cifar100"
        if path.is_file():
            path = path.parent
        if fine:
            train_files, test_files, names_file = [path / "train.bin"], [path / "test.bin"], path / "fine_label_names.txt"
        else:
            train_files = sorted(path.glob("data_batch_*.bin"), key=lambda p: int(p.stem.rsplit("_", 1)[1]) if p.stem.rsplit("_", 1)[1].isdigit() else 0)
            test_files, names_file = [path / "test_batch.bin"], path / "batches.meta.txt"
        if not train_files or not train_files[0].is_file():
            raise DataError(f"{path} has no {'train.bin' if fine else 'data_batch_1.bin'}; {FORMATS[fmt]}")
        if classes is None:
            if names_file.is_file():
                classes = [line.strip() for line in names_file.read_text().splitlines() if line.strip()]
            else:
                classes = [str(c) for c in range(100)] if fine else CIFAR10_CLASSES
        train = CifarSource(train_files, fine, classes, mode)
        return train, CifarSource(test_files, fine, classes, mode) if test_files[0].is_file() else None
    if fmt == "csv":
        return CsvSource(path, args.target, args.target_kind, classes), None
    if fmt == "npy":
        return ArraySource(path, args, mode, classes, Path(args.npy_targets) if args.npy_targets and not validation else None), None
    if fmt == "text":
        if not path.is_file():
            raise DataError(f"{path} is not a file; {FORMATS['text']}")
        return open_text(path, args.tokenizer, args.context, None if validation else args.val_fraction)
    if fmt == "segmentation":
        train_root, val_root = split_folders(path)
        make = functools.partial(SegmentationSource, mode=mode, classes=args.classes, ignore_index=args.ignore_index)
        return make(train_root), make(val_root) if val_root else None
    train_root, val_root = split_folders(path)
    train = ImageFolderSource(train_root, mode, classes)
    return train, ImageFolderSource(val_root, mode, train.classes) if val_root else None


def validation_split(count, fraction, seed):
    """(training indices, validation indices) of the .NET runtime's Dataset.Split(fraction, seed): the first
    round(count * fraction) indices of BatchLoader.Order(seed, 0, count) validate (both parts sorted), so both runtimes
    hold out the same samples."""
    held = min(max(round(count * fraction), 1), count - 1)
    order = shuffled_order(seed, 0, count)
    return sorted(order[held:]), sorted(order[:held])


_MASK64 = 2**64 - 1


def shuffled_order(seed, epoch, count):
    """BatchLoader.Order of the .NET runtime: a Fisher-Yates shuffle driven by SplitMix64 seeded from (seed, epoch)."""
    order = list(range(count))
    state = ((seed * 0x9E3779B97F4A7C15) & _MASK64) ^ ((epoch * 0xD1B54A32D192ED03) & _MASK64) ^ 0x632BE59BD9B4E019
    for i in range(count - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & _MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        j = (z ^ (z >> 31)) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


# ---------------------------------------------------------------------------------------- transforms

# The transforms of --transforms, with their arguments in order (the syntax the .NET runtime's transforms print).
TRANSFORM_ARGUMENTS = {
    "Resize": ("size", "antialias"),
    "CenterCrop": ("size",),
    "RandomResizedCrop": ("size", "scale", "ratio", "antialias"),
    "RandomCrop": ("size", "padding", "pad_if_needed", "fill"),
    "RandomHorizontalFlip": ("p",),
    "ColorJitter": ("brightness", "contrast", "saturation"),
    "Normalize": ("mean", "std"),
    "Grayscale": ("num_output_channels",),
    "ImageToSequence": (),
}
# Printed with every argument named, as the .NET runtime's transforms print them.
KEYWORD_ONLY = ("Normalize", "Grayscale", "ColorJitter")
RANDOM_TRANSFORMS = ("RandomResizedCrop", "RandomCrop", "RandomHorizontalFlip", "ColorJitter")
IMAGENET_NORMALIZE = "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])"
CIFAR_NORMALIZE = "Normalize(mean=[0.4914, 0.4822, 0.4465], std=[0.2470, 0.2435, 0.2616])"


def preset(name, size, train):
    """The text of a preset's training or evaluation transforms at image size `size`."""
    if name == "imagenet":
        if train:
            return f"RandomResizedCrop({size}); RandomHorizontalFlip(); {IMAGENET_NORMALIZE}"
        return f"Resize({int(size * 256 / 224)}); CenterCrop({size}); {IMAGENET_NORMALIZE}"
    if name == "cifar":
        return f"RandomCrop({size}, padding=4); RandomHorizontalFlip(); {CIFAR_NORMALIZE}" if train else CIFAR_NORMALIZE
    return ""


PRESETS = ("imagenet", "cifar", "none")


class Step:
    """One parsed transform: its name, its arguments by name, and the torchvision transform they build."""

    def __init__(self, name, arguments, transform):
        self.name, self.arguments, self.transform = name, arguments, transform

    def __repr__(self):
        """The shared syntax: the first argument (size, p, mean, ...) positional when given, the rest by name."""
        first = (TRANSFORM_ARGUMENTS[self.name] or (None,))[0]
        parts = [repr(v) if k == first and self.name not in KEYWORD_ONLY else f"{k}={v!r}" for k, v in self.arguments.items()]
        return f"{self.name}({', '.join(parts)})"


def split_top_level(text):
    parts, depth, current = [], 0, []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == ";" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_transforms(text, option="--transforms"):
    """torchvision transforms from the shared syntax: `Name(arguments); ...`, arguments as Python literals (read with
    ast.literal_eval, never evaluated as code). Errors name the transform and list what is accepted."""
    known = ", ".join(TRANSFORM_ARGUMENTS)
    steps = []
    for part in split_top_level(text):
        head = part.split("(", 1)[0].strip()
        if head not in TRANSFORM_ARGUMENTS:
            raise ValueError(f"{option}: unknown transform '{head}' in '{part}'; known transforms: {known} (or a preset: {', '.join(PRESETS)})")
        inner = part[len(part.split("(", 1)[0]):].strip()
        if inner and not (inner.startswith("(") and inner.endswith(")")):
            raise ValueError(f"{option}: cannot read '{part}'; write {head}(arguments)")
        try:
            call = ast.parse(f"f{inner or '()'}", mode="eval").body
            if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                raise ValueError
            positional = [ast.literal_eval(a) for a in call.args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except (SyntaxError, ValueError):
            raise ValueError(f"{option}: cannot read the arguments of '{part}'; they are Python literals such as 224, 0.5, [0.485, 0.456, 0.406] or padding=4") from None
        names = TRANSFORM_ARGUMENTS[head]
        accepted = f"{head} takes {', '.join(names)}"
        if len(positional) > len(names):
            raise ValueError(f"{option}: '{part}' has {len(positional)} positional arguments; {accepted}")
        arguments = dict(zip(names, positional))
        for key, value in keywords.items():
            if key not in names:
                raise ValueError(f"{option}: '{part}' has no argument {key}; {accepted}")
            if key in arguments:
                raise ValueError(f"{option}: '{part}' gives {key} twice")
            arguments[key] = value
        try:
            transform = build_transform(head, arguments)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{option}: '{part}': {e}; {accepted}") from None
        steps.append(Step(head, arguments, transform))
    return steps


def build_transform(name, a):
    """The torchvision transform of one step (tensor input; Resize and RandomResizedCrop antialias as torchvision 0.17+)."""
    if name in ("Resize", "CenterCrop", "RandomResizedCrop", "RandomCrop") and "size" not in a:
        raise TypeError("size is required")
    if name == "Resize":
        return T.Resize(a["size"], antialias=a.get("antialias", True))
    if name == "CenterCrop":
        return T.CenterCrop(a["size"])
    if name == "RandomResizedCrop":
        return T.RandomResizedCrop(a["size"], scale=tuple(a.get("scale", (0.08, 1.0))), ratio=tuple(a.get("ratio", (3 / 4, 4 / 3))), antialias=a.get("antialias", True))
    if name == "RandomCrop":
        return T.RandomCrop(a["size"], padding=a.get("padding", 0), pad_if_needed=a.get("pad_if_needed", False), fill=a.get("fill", 0))
    if name == "RandomHorizontalFlip":
        return T.RandomHorizontalFlip(a.get("p", 0.5))
    if name == "ColorJitter":
        return T.ColorJitter(brightness=a.get("brightness", 0), contrast=a.get("contrast", 0), saturation=a.get("saturation", 0))
    if name == "Normalize":
        if "mean" not in a or "std" not in a:
            raise TypeError("mean and std are required")
        return T.Normalize(a["mean"], a["std"])
    if name == "ImageToSequence":
        return ImageToSequence()
    return T.Grayscale(a.get("num_output_channels", 1))


class ImageToSequence:
    """A one-channel image [1, H, W] as a sequence of H steps (its rows) of W features, channels first as Conv1d and
    the sequence networks take it: [W, H], x[0].t(). Not a torchvision transform: the .NET runtime's ImageToSequence
    is the same, so the text reads the same on both sides (sequence classification of MNIST rows)."""

    def __call__(self, x):
        if x.dim() != 3 or x.shape[0] != 1:
            raise ValueError(f"ImageToSequence: the sample is {list(x.shape)}, not a one-channel image [1, H, W]; "
                             "convert colour images with --image-mode grey (or Grayscale()) first")
        return x[0].t().contiguous()

    def __repr__(self):
        return "ImageToSequence()"


CIFAR_SIZE = 32  # the cifar preset's size unless another is given: its crops keep CIFAR's image size


def preset_call(text, size, explicit_size=None):
    """(preset name, size) of `imagenet`, `cifar`, `none` or `imagenet(160)`; None for any other text. The size is
    the one in brackets, else --image-size (`explicit_size`), else the network's (`size`), except cifar's CIFAR_SIZE."""
    m = re.fullmatch(r"\s*(imagenet|cifar|none)\s*(?:\(\s*(\d+)\s*\))?\s*", text)
    if not m:
        return None
    default = explicit_size or (CIFAR_SIZE if m.group(1) == "cifar" else size)
    return (m.group(1), int(m.group(2)) if m.group(2) else default)


def eval_counterpart(train):
    """The evaluation steps of explicit training steps, the .NET runtime's rule (TransformPresets.EvalCounterpart):
    RandomResizedCrop(S) becomes Resize(int(S * 256 / 224)) then CenterCrop(S), RandomCrop(S) becomes CenterCrop(S),
    flips and colour jitter are dropped, every other step is kept."""
    text = []
    for s in train:
        if s.name == "RandomResizedCrop":
            size = s.arguments["size"]
            h, w = (size, size) if isinstance(size, int) else (size[0], size[-1])
            text.append(f"Resize({int(h * 256 / 224)})" if h == w else f"Resize([{int(h * 256 / 224)}, {int(w * 256 / 224)}])")
            text.append(f"CenterCrop({size!r})")
        elif s.name == "RandomCrop":
            text.append(f"CenterCrop({s.arguments['size']!r})")
        elif s.name not in RANDOM_TRANSFORMS:
            text.append(repr(s))
    return parse_transforms("; ".join(text), "--eval-transforms")


def resolve_transforms(train_text, eval_text, size, explicit_size=None):
    """(training steps, evaluation steps) of --transforms / --eval-transforms: a preset name gives its pair; explicit
    training transforms evaluate with their counterpart (see eval_counterpart)."""
    if train_text is None:
        train, evaluation = [], []
    elif (p := preset_call(train_text, size, explicit_size)) is not None:
        train = parse_transforms(preset(p[0], p[1], True))
        evaluation = parse_transforms(preset(p[0], p[1], False), "--eval-transforms")
    else:
        train = parse_transforms(train_text)
        evaluation = eval_counterpart(train)
    if eval_text is not None:
        p = preset_call(eval_text, size, explicit_size)
        text = preset(p[0], p[1], False) if p is not None else eval_text
        evaluation = parse_transforms(text, "--eval-transforms")
    return train, evaluation


def joint_transform(steps, image, mask, ignore_index):
    """The steps on an image and its mask with one parameter draw: the same geometry, bilinear for the image and nearest
    for the mask, padding the mask with the ignore index; colour steps touch the image only."""
    nearest = TF.InterpolationMode.NEAREST
    mask = mask.unsqueeze(0)
    for step in steps:
        t = step.transform
        if step.name == "Resize":
            image = TF.resize(image, t.size, antialias=t.antialias)
            mask = TF.resize(mask, t.size, interpolation=nearest)
        elif step.name == "CenterCrop":
            h, w = image.shape[-2:]
            ch, cw = t.size
            if ch > h or cw > w:  # torchvision's own padding of a crop larger than the image
                pad = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0, (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
                image, mask = TF.pad(image, pad, fill=0), TF.pad(mask, pad, fill=ignore_index)
            image, mask = TF.center_crop(image, t.size), TF.center_crop(mask, t.size)
        elif step.name == "RandomResizedCrop":
            i, j, h, w = t.get_params(image, t.scale, t.ratio)
            image = TF.resized_crop(image, i, j, h, w, t.size, antialias=t.antialias)
            mask = TF.resized_crop(mask, i, j, h, w, t.size, interpolation=nearest)
        elif step.name == "RandomCrop":
            if t.padding is not None:
                image, mask = TF.pad(image, t.padding, fill=t.fill), TF.pad(mask, t.padding, fill=ignore_index)
            h, w = image.shape[-2:]
            if t.pad_if_needed and w < t.size[1]:
                pad = [t.size[1] - w, 0]
                image, mask = TF.pad(image, pad, fill=t.fill), TF.pad(mask, pad, fill=ignore_index)
            if t.pad_if_needed and h < t.size[0]:
                pad = [0, t.size[0] - h]
                image, mask = TF.pad(image, pad, fill=t.fill), TF.pad(mask, pad, fill=ignore_index)
            i, j, h, w = t.get_params(image, t.size)
            image, mask = TF.crop(image, i, j, h, w), TF.crop(mask, i, j, h, w)
        elif step.name == "RandomHorizontalFlip":
            if torch.rand(1) < t.p:
                image, mask = TF.hflip(image), TF.hflip(mask)
        else:
            image = t(image)
    return image, mask.squeeze(0)


class Failure:
    """A sample that could not be read or transformed, passed to the training loop to stop with its message."""

    def __init__(self, message):
        self.message = message


class Prepared(torch.utils.data.Dataset):
    """Some samples of a source with per-sample transforms: images become float [0, 1] before the first transform."""

    def __init__(self, source, indices, steps, ignore_index):
        self.source, self.indices, self.steps, self.ignore_index = source, list(indices), steps, ignore_index
        self.compose = T.Compose([s.transform for s in steps]) if steps else None

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, k):
        index = self.indices[k]
        try:
            x, y = self.source.read(index)
        except DataError as e:
            return Failure(str(e))
        if self.compose is None:
            return x, y, index
        try:
            x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
            if self.source.kind == "mask":
                x, y = joint_transform(self.steps, x, y, self.ignore_index)
            else:
                x = self.compose(x)
        except (RuntimeError, ValueError, TypeError) as e:
            return Failure(f"{self.source.source(index)}: {e} (applying the transforms {'; '.join(map(repr, self.steps))})")
        return x, y, index


def collate(samples, source):
    """Stacks samples into a batch, or returns the Failure that stops the run (a bad sample; samples of two shapes)."""
    for s in samples:
        if isinstance(s, Failure):
            return s
    first = samples[0]
    for x, y, index in samples[1:]:
        if x.shape != first[0].shape:
            return Failure(f"{source.source(index)} is {list(x.shape)} but {source.source(first[2])} is {list(first[0].shape)}; samples of one batch "
                           "must have one shape. Add a Resize (with a CenterCrop or RandomResizedCrop) to the transforms, or use a preset such as 'imagenet'.")
        if y.shape != first[1].shape:
            return Failure(f"the target of {source.source(index)} is {list(y.shape)} but that of {source.source(first[2])} is {list(first[1].shape)}; targets of one batch must have one shape")
    return torch.stack([s[0] for s in samples]), torch.stack([s[1] for s in samples])


def describe(fmt, source, train_count, val_count):
    """The data line: format, sample counts, classes (or values, or tokens)."""
    if source.kind == "tokens":
        return (f"data: {fmt} {train_count} train / {val_count} validation windows of {source.context} tokens "
                f"({source.tokenizer} tokenizer, {TOKENIZERS[source.tokenizer]:,} ids; {len(source.tokens):,} training tokens)")
    if source.kind == "value":
        what = f"values [{source.targets.shape[1]}]"
    else:
        names = source.classes or []
        shown = ", ".join(names) if len(names) <= 20 else ", ".join(names[:10]) + f", ... {len(names)} in all"
        what = f"classes [{shown}]"
    return f"data: {fmt} {train_count} train / {val_count} validation samples, {what}"


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


def classifier_of(model):
    """The name of the model's last nn.Linear (in registration order): the classifier of torchvision's networks."""
    names = [name for name, m in model.named_modules() if isinstance(m, nn.Linear) and name]
    if not names:
        fail(f"--classes replaces the last nn.Linear, but {type(model).__name__} has none")
    return names[-1]


def replace_classifier(model, classes, seed):
    """A new nn.Linear(in, classes) in place of the last one, initialised as nn.Linear does from `seed`."""
    name = classifier_of(model)
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    old = getattr(parent, child)
    torch.manual_seed(seed)
    setattr(parent, child, nn.Linear(old.in_features, classes, bias=old.bias is not None))
    return f"{name}: {old.out_features} -> {classes} classes"


def load_pretrained(model, path):
    """Loads a .pth or safetensors state dict; the classifier's keys are skipped when their shape differs, every other
    key must be present with the same shape (the .NET runtime's FineTuning.LoadPretrained)."""
    path = Path(path)
    if not path.exists():
        fail(f"--init-from {path} does not exist")
    with open(path, "rb") as f:
        zip_archive = f.read(4) == b"PK\x03\x04"
    source = torch.load(path, map_location="cpu") if zip_archive else load_safetensors(path)
    target = model.state_dict()
    head = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and n]
    prefix = head[-1] + "." if head else None
    skipped, mismatched = [], []
    for key, tensor in target.items():
        if key in source and tuple(source[key].shape) != tuple(tensor.shape):
            entry = f"{key}: expected {list(tensor.shape)}, file has {list(source[key].shape)}"
            is_head = prefix is not None and key.startswith(prefix) and "." not in key[len(prefix):]
            (skipped if is_head else mismatched).append((key, entry))
    missing = [k for k in target if k not in source]
    unexpected = sorted(k for k in source if k not in target)
    problems = ([f"missing keys ({len(missing)}): {', '.join(missing[:10])}"] if missing else []) \
        + ([f"unexpected keys ({len(unexpected)}): {', '.join(unexpected[:10])}"] if unexpected else []) \
        + ([f"shape mismatches ({len(mismatched)}): {', '.join(e for _, e in mismatched[:10])}"] if mismatched else [])
    if problems:
        fail(f"the checkpoint {path} does not fit the module: " + "; ".join(problems))
    skip = {k for k, _ in skipped}
    with torch.no_grad():
        for key, tensor in target.items():
            if key not in skip:
                tensor.copy_(source[key].to(tensor.dtype).reshape(tensor.shape))
    return f"loaded {len(target) - len(skip)} tensors from {path}" + (f"; kept the replaced head's {', '.join(k for k in sorted(skip))}" if skip else "")


def freeze(model, patterns):
    """requires_grad=False for the parameters a pattern matches; a pattern matching nothing is an error."""
    names = [n for n, _ in model.named_parameters()]
    buffers = [n for n, _ in model.named_buffers()]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(n, pattern) for n in names + buffers):
            examples = ", ".join(names[:4] + ["...", names[-1]] if len(names) > 6 else names)
            fail(f"--freeze must be patterns matching parameter names of {type(model).__name__} (such as {examples}); got '{pattern}', which matches none")
    frozen = [n for n, p in model.named_parameters() if any(fnmatch.fnmatchcase(n, g) for g in patterns)]
    for n, p in model.named_parameters():
        if n in frozen:
            p.requires_grad_(False)
    return frozen


def frozen_batchnorms(model, patterns):
    """BatchNorm layers that count as frozen: all their parameters frozen, or without parameters, their buffers
    matched by a --freeze pattern. They stay in eval mode while training (requires_grad=False alone does not stop
    a BatchNorm layer in training mode from updating its running statistics)."""
    found = []
    for name, m in model.named_modules():
        if not isinstance(m, nn.modules.batchnorm._BatchNorm):
            continue
        params = list(m.parameters())
        if params and all(not p.requires_grad for p in params):
            found.append(m)
        elif not params and any(fnmatch.fnmatchcase(f"{name}.{b}", g) for b, _ in m.named_buffers() for g in patterns):
            found.append(m)
    return found


def parameter_groups(model, args):
    """The optimizer's groups of trainable parameters: those no --lr-for pattern matches (at --lr), then each pattern's
    in sorted order, with its base rate."""
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        fail("--freeze must leave some parameters to train; these patterns freeze all of them")
    patterns = sorted(args.lr_for)
    members = {g: [] for g in patterns}
    rest = []
    for n, p in trainable:
        matching = [g for g in patterns if fnmatch.fnmatchcase(n, g)]
        if len(matching) > 1:
            fail(f"--lr-for must be patterns that match each parameter at most once; got '{matching[0]}' and '{matching[1]}', which both match {n}")
        (members[matching[0]] if matching else rest).append(p)
    for g in patterns:
        if not members[g]:
            frozen_only = any(fnmatch.fnmatchcase(n, g) for n, _ in model.named_parameters())
            fail(f"--lr-for must be patterns matching trainable parameter names; got '{g}', which matches {'only frozen parameters' if frozen_only else 'none'}")
    groups = ([{"params": rest, "lr": args.lr, "base_lr": args.lr}] if rest else []) \
        + [{"params": members[g], "lr": args.lr_for[g], "base_lr": args.lr_for[g]} for g in patterns]
    return groups


def make_optimizer(args, parameters):
    if args.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.AdamW(parameters, lr=args.lr, weight_decay=args.weight_decay)


# ---------------------------------------------------------------------------------------------- tasks

nan = float("nan")

# The words of --task; sequence classification is classification on sequence inputs (ImageToSequence()).
TASKS = ("classification", "sequence-classification", "segmentation", "regression", "language-model")
TASK_OF_KIND = {"class": "classification", "value": "regression", "mask": "segmentation", "tokens": "language-model"}


class Task:
    """What a batch's output is scored against, the .NET runtime's TrainingTask: a loss, and statistics that add up over
    batches (and over processes) from which the epoch's metrics are computed exactly (a mean IoU is not a mean of
    batch IoUs). key is the main metric's metrics.csv suffix (train_KEY, val_KEY), extras the further validation
    metrics (val_EXTRA)."""

    name = key = None
    extras = ()

    def size(self, outputs):
        """The length of the statistics vector for a network giving `outputs` per sample."""
        raise NotImplementedError

    def loss(self, output, target):
        raise NotImplementedError

    def statistics(self, output, target):
        raise NotImplementedError

    def compute(self, sums):
        """(main metric, [extra metrics]) from the summed statistics (a list of floats); NaN where undefined."""
        raise NotImplementedError


class ClassificationTask(Task):
    """Class indices [N] from logits [N, classes]: cross-entropy with optional label smoothing; top-1 accuracy and
    top-k accuracy with k = min(5, classes), as the .NET ClassificationTask."""

    name, key, extras = "classification", "acc", ("top5",)

    def size(self, outputs):
        return 3

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def __str__(self):
        smoothing = f", label smoothing {self.label_smoothing!r}" if self.label_smoothing > 0 else ""
        return f"classification (cross-entropy{smoothing}; top-1 and top-5 accuracy)"

    def loss(self, output, target):
        return F.cross_entropy(output, target, label_smoothing=self.label_smoothing)

    def statistics(self, output, target):
        """[top-1 correct, top-k correct, samples]."""
        k = min(5, output.shape[1])
        hits = output.topk(k, dim=1).indices.eq(target.unsqueeze(1))
        n = torch.tensor(float(target.shape[0]), dtype=torch.float64, device=output.device)
        return torch.stack([hits[:, :1].sum().double(), hits.any(1).sum().double(), n])

    def compute(self, sums):
        n = sums[2]
        return (nan, [nan]) if n == 0 else (sums[0] / n, [sums[1] / n])


class SegmentationTask(Task):
    """A class per pixel from logits [N, classes, H, W] and masks [N, H, W]: per-pixel cross-entropy that skips the
    ignore index; mean IoU over the classes whose union is not empty, and pixel accuracy, both from one confusion
    matrix of the epoch's labelled pixels, as the .NET SegmentationTask (torchmetrics' MulticlassJaccardIndex
    average="macro" and MulticlassAccuracy average="micro" when every class occurs)."""

    name, key, extras = "segmentation", "miou", ("pixel_acc",)

    def size(self, outputs):
        return self.classes * self.classes

    def __init__(self, classes, ignore_index):
        self.classes, self.ignore_index = classes, ignore_index

    def __str__(self):
        return f"segmentation ({self.classes} classes, per-pixel cross-entropy, ignore index {self.ignore_index}; mean IoU and pixel accuracy)"

    def loss(self, output, target):
        # A batch without a labelled pixel has no loss (cross_entropy would give 0/0); keep the graph for DDP.
        if not bool((target != self.ignore_index).any()):
            return output.sum() * 0
        return F.cross_entropy(output, target, ignore_index=self.ignore_index)

    def statistics(self, output, target):
        """The confusion matrix, row-major: entry (true, predicted), ignored pixels left out."""
        return self.confusion(output.argmax(1), target)

    def confusion(self, predicted, target):
        keep = target != self.ignore_index
        c = self.classes
        return (target[keep] * c + predicted[keep]).bincount(minlength=c * c).double()

    def compute(self, sums):
        c = round(math.sqrt(len(sums)))
        total = correct = iou_sum = 0.0
        present = 0
        for i in range(c):
            tp, row, column = sums[i * c + i], 0.0, 0.0
            for j in range(c):
                row += sums[i * c + j]
                column += sums[j * c + i]
            total += row
            correct += tp
            union = row + column - tp
            if union > 0:
                iou_sum += tp / union
                present += 1
        return (nan if present == 0 else iou_sum / present), [nan if total == 0 else correct / total]


REGRESSION_LOSSES = ("mse", "mae", "huber")
HUBER_DELTA = 1.0


class RegressionTask(Task):
    """Values [N, K] from outputs [N, K]: MSE, MAE (L1) or Huber (delta 1.0) loss; R² per output column over the epoch
    (SS_tot around the epoch's mean target) averaged over the columns, and the mean absolute error, as the .NET
    RegressionTask (scikit-learn's r2_score, torchmetrics' R2Score(multioutput="uniform_average")). A column whose
    targets are all equal has no R² (NaN)."""

    name, key, extras = "regression", "r2", ("mae",)

    def size(self, outputs):
        return 3 * math.prod(outputs) + 2

    def __init__(self, loss="mse"):
        self.loss_kind = loss

    def __str__(self):
        loss = f"Huber loss, delta {HUBER_DELTA:g}" if self.loss_kind == "huber" else self.loss_kind.upper()
        return f"regression ({loss}; R² and MAE)"

    def loss(self, output, target):
        y = target.to(output.dtype).reshape(output.shape)
        if self.loss_kind == "mae":
            return F.l1_loss(output, y)
        if self.loss_kind == "huber":
            return F.huber_loss(output, y, delta=HUBER_DELTA)
        return F.mse_loss(output, y)

    def statistics(self, output, target):
        """[SS_res per column (K), sum of targets per column (K), sum of squared targets per column (K), sum of
        absolute errors, samples]."""
        o = output.double().reshape(output.shape[0], -1)
        y = target.double().reshape(o.shape)
        err = o - y
        n = torch.tensor([float(o.shape[0])], dtype=torch.float64, device=output.device)
        return torch.cat([err.square().sum(0), y.sum(0), y.square().sum(0), err.abs().sum().reshape(1), n])

    def compute(self, sums):
        k = (len(sums) - 2) // 3
        n = sums[3 * k + 1]
        if n == 0:
            return nan, [nan]
        r2 = 0.0
        for j in range(k):
            ss_res, total, squares = sums[j], sums[k + j], sums[2 * k + j]
            ss_tot = squares - total * total / n
            r2 += 1 - ss_res / ss_tot if ss_tot > 0 else nan
        return r2 / k, [sums[3 * k] / (n * k)]


class LanguageModelTask(Task):
    """Logits [N, L, V] for the next token at every position of a window, scored against the window moved one token
    on, int64 [N, L], as the .NET LanguageModelTask: cross-entropy averaged over every position (nanoGPT's); next-token
    accuracy, and perplexity, exp of the mean cross-entropy over every token of the epoch (not a mean of batch
    perplexities)."""

    name, key, extras = "language-model", "acc", ("ppl",)

    def size(self, outputs):
        return 3

    def __str__(self):
        return "language-model (next-token cross-entropy; next-token accuracy and perplexity)"

    def loss(self, output, target):
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1))

    def statistics(self, output, target):
        """[summed cross-entropy, correct next tokens, tokens]."""
        logits, flat = output.reshape(-1, output.shape[-1]), target.reshape(-1)
        loss = F.cross_entropy(logits, flat, reduction="sum").double()
        correct = logits.argmax(1).eq(flat).sum().double()
        return torch.stack([loss, correct, torch.tensor(float(flat.shape[0]), dtype=torch.float64, device=output.device)])

    def compute(self, sums):
        n = sums[2]
        return (nan, [nan]) if n == 0 else (sums[1] / n, [math.exp(sums[0] / n)])


def make_task(name, args):
    """The task of a --task word (after parse_args's checks) with --loss, --label-smoothing, --classes, --ignore-index."""
    if name == "language-model":
        return LanguageModelTask()
    if name in ("classification", "sequence-classification"):
        return ClassificationTask(args.label_smoothing or 0.0)
    if name == "segmentation":
        return SegmentationTask(args.classes, args.ignore_index)
    return RegressionTask(args.loss or "mse")


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
    network = getattr(module, class_name)
    inputs = getattr(network, "input_names", ("input",))
    if len(inputs) != 1:
        raise SystemExit(f"error: {class_name} takes {len(inputs)} inputs ({', '.join(inputs)}); train.py trains networks of one input")
    return network


def run_epoch(model, loader, task, prepare, device, optimize=None):
    """One pass over `loader`, training when `optimize(loss)` is given. Returns this process's [loss sum, samples,
    task statistics...]: the loss sum is each batch's mean loss times its samples, as the .NET trainer sums it."""
    totals = torch.zeros(2 + task.statistics_size, dtype=torch.float64, device=device)  # a process may have no batch
    for batch in loader:
        if isinstance(batch, Failure):
            fail(batch.message)
        x, y = batch
        x, y = prepare(x.to(device)), y.to(device)
        y_hat = model(x)
        if isinstance(y_hat, dict):
            # Declared outputs: the main output's loss plus each weighted one's (auxiliary heads, present in training mode
            # only), as the .NET trainer and torchvision's reference scripts train them; statistics are the main output's.
            net = getattr(model, "module", model)
            out = y_hat[net.main_output].float()
            loss = task.loss(out, y)
            for name, weight in net.loss_weights.items():
                if optimize is not None and name in y_hat:
                    loss = loss + weight * task.loss(y_hat[name].float(), y)
        else:
            out = y_hat.float()
            loss = task.loss(out, y)
        if optimize is not None:
            optimize(loss)
        with torch.no_grad():
            n = torch.tensor([float(len(y))], dtype=torch.float64, device=device)
            row = torch.cat([loss.detach().double().reshape(1) * n, n, task.statistics(out.detach(), y)])
        totals += row
    return totals


def all_sum(tensor):
    if dist.is_initialized():
        dist.all_reduce(tensor)
    return tensor


def metrics_header(task):
    """metrics.csv's header for `task`, the .NET MetricsCsv.HeaderFor: epoch,train_loss,train_KEY,val_loss,val_KEY,lr,seconds,val_EXTRA..."""
    return ",".join(["epoch", "train_loss", f"train_{task.key}", "val_loss", f"val_{task.key}", "lr", "seconds"] + [f"val_{e}" for e in task.extras])


def number(value):
    """.NET's "F6", and an empty cell for NaN (no validation data, an undefined metric)."""
    return "" if math.isnan(value) else f"{value:.6f}"


def general(value, digits=6):
    """.NET's "G6" (or "G4"): 0.002, 2E-06."""
    return f"{value:.{digits}g}".upper()


def metrics_row(row, task):
    """One metrics.csv row, the .NET MetricsCsv.Row."""
    cells = [str(row["epoch"]), number(row["train_loss"]), number(row["train_metric"]), number(row["val_loss"]), number(row["val_metric"]),
             general(row["lr"]), f"{row['seconds']:.2f}"] + [number(v) for v in row["val_extra"]]
    return ",".join(cells)


def write_metrics(path, rows, task):
    """metrics.csv as the .NET trainer writes it: the whole file, atomically, after every epoch."""
    lines = [metrics_header(task)] + [metrics_row(r, task) for r in rows]
    temporary = f"{path}.tmp"
    Path(temporary).write_text("\n".join(lines) + "\n")
    os.replace(temporary, path)


def epoch_line(row, epochs, task, samples_per_second):
    """The epoch's progress line, the .NET trainer's: train loss and metric | validation loss, metric, extras | lr | time."""
    val = ""
    if not math.isnan(row["val_loss"]):
        extra = "".join(f" {e} {v:.4f}" for e, v in zip(task.extras, row["val_extra"]))
        val = f" | val loss {row['val_loss']:.4f} {task.key} {row['val_metric']:.4f}{extra}"
    return (f"epoch {row['epoch']}/{epochs}: train loss {row['train_loss']:.4f} {task.key} {row['train_metric']:.4f}{val} | "
            f"lr {general(row['lr'], 4)} | {row['seconds']:.1f} s, {samples_per_second:.0f} samples/s")


def parse_args(argv):
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the training data: a folder or file in one of the --format layouts")
    p.add_argument("--format", choices=["auto"] + list(FORMATS), default="auto", help="the layout of --data (default auto: detected from the path)")
    p.add_argument("--val-data", help="validation data in the same format (default: the layout's own split, if any)")
    p.add_argument("--val-fraction", type=float, help="validate on this fraction of --data, the .NET runtime's seeded split (--seed)")
    p.add_argument("--dataset", choices=sorted(NORMALISATION), default="FashionMnist", help="IDX without --transforms: names the normalisation (default FashionMnist)")
    p.add_argument("--image-mode", choices=list(PIL_MODES), help="convert images to rgb or grey (default: the network's channels, 3 rgb or 1 grey)")
    p.add_argument("--transforms", help="per-sample training transforms, e.g. 'RandomCrop(32, padding=4); RandomHorizontalFlip()', or a preset: imagenet, cifar, none")
    p.add_argument("--eval-transforms", help="validation transforms (default: the preset's evaluation transforms, or the deterministic steps of --transforms)")
    p.add_argument("--image-size", type=int, help="S of the presets (default: the network's input size)")
    p.add_argument("--target", help="CSV: the target column, a name or 0-based index (default the last)")
    p.add_argument("--target-kind", choices=["auto", "class", "value"], default="auto",
                   help="CSV and npy targets: classes (cross-entropy) or values (mean squared error); auto: classes when every target is an integer or any is not a number")
    p.add_argument("--npy-targets", help="npy: the .npy file of targets (default: the inputs' file name with y for a leading x)")
    p.add_argument("--npz-inputs", help="npz: the inputs' array (default the first of x, inputs, data, images)")
    p.add_argument("--npz-targets", help="npz: the targets' array (default the first of y, targets, labels)")
    p.add_argument("--channels-last", action="store_true", help="npy: the images are [N, H, W, C]")
    p.add_argument("--classes", type=int, help="the number of classes of the task: a classifier declared for another number gets a new last nn.Linear; segmentation: the classes of the masks (default: the network's output)")
    p.add_argument("--ignore-index", type=int, default=255, help="segmentation: the mask value that is no class (default 255)")
    p.add_argument("--task", help="classification, sequence-classification, segmentation, regression or language-model (default: from the "
                                  "targets: masks segmentation, values regression, classes classification, text language-model)")
    p.add_argument("--tokenizer", choices=list(TOKENIZERS), help="text: gpt2 (GPT-2's byte-pair encoding, 50,257 tokens; needs tiktoken) or bytes "
                                  "(UTF-8 bytes, 256 tokens) (default: bytes for a vocabulary below 50,257, gpt2 otherwise)")
    p.add_argument("--loss", type=str.lower, choices=REGRESSION_LOSSES, help="regression loss: mse, mae or huber (delta 1.0) (default mse)")
    p.add_argument("--label-smoothing", type=float, help="classification: label smoothing in [0, 1), e.g. 0.1")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes per training process (default 0: read in the training process)")
    p.add_argument("--model-file", default=str(here / "model.py"), help="the twin (default: model.py beside this script)")
    p.add_argument("--model-class", help="the network class (default: the one in the module's __all__)")
    p.add_argument("--out", default="runs/pytorch", help="folder for model.safetensors and metrics.csv (default runs/pytorch)")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an earlier run in --out")
    p.add_argument("--init", help="start from these weights (a safetensors state_dict, e.g. saved from .NET)")
    p.add_argument("--init-from", help="fine-tuning: start from a .pth or .safetensors state dict in the twin's layout; a classifier of another size in the file is skipped")
    p.add_argument("--freeze", action="append", default=[], help="freeze the parameters whose names match these globs, comma-separated, e.g. 'layer1.*,layer2.*'")
    p.add_argument("--lr-for", action="append", default=[], help="base learning rates by parameter-name glob, comma-separated PATTERN=RATE, e.g. 'fc.*=0.01'")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=128, help="samples per optimizer step over all processes (default 128)")
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
    p.add_argument("--limit", type=int, help="train on the first N samples only")
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
    if args.workers < 0:
        p.error(f"--workers must be 0 or more; got {args.workers}")
    if args.val_fraction is not None and not 0 < args.val_fraction < 1:
        p.error(f"--val-fraction must be between 0 and 1 (exclusive), such as 0.1; got {args.val_fraction}")
    if args.val_fraction is not None and args.val_data is not None:
        p.error("--val-data and --val-fraction both choose the validation data; give one")
    if args.image_size is not None and args.image_size < 1:
        p.error(f"--image-size must be at least 1; got {args.image_size}")
    if args.classes is not None and args.classes < 1:
        p.error(f"--classes must be at least 1; got {args.classes}")
    # The task options, with the .NET sample's rules: --loss implies regression, --label-smoothing classification.
    if args.task is not None:
        word = args.task.strip().lower()
        if word not in TASKS:
            p.error(f"--task must be classification, sequence-classification, segmentation, regression or language-model; got {args.task}")
        args.task = word
    if args.task is None and args.loss is not None:
        args.task = "regression"
    if args.task is None and args.label_smoothing is not None:
        args.task = "classification"
    if args.loss is not None and args.task != "regression":
        p.error(f"--loss must be used with regression (value targets); classification and segmentation use cross-entropy; got --loss with {args.task}")
    if args.label_smoothing is not None:
        if args.task not in ("classification", "sequence-classification"):
            p.error(f"--label-smoothing must be used with classification; got --label-smoothing with {args.task}")
        if not 0 <= args.label_smoothing < 1:
            p.error(f"--label-smoothing must be a number in [0, 1), such as 0.1; got {args.label_smoothing:g}")
    args.freeze = [t.strip() for v in args.freeze for t in v.split(",") if t.strip()]
    rates = {}
    for pair in (t.strip() for v in args.lr_for for t in v.split(",") if t.strip()):
        pattern, _, rate = pair.rpartition("=")
        try:
            value = float(rate)
        except ValueError:
            value = None
        if not pattern or value is None:
            p.error(f"--lr-for must be PATTERN=RATE pairs separated by commas, e.g. 'fc.*=0.01'; got '{pair}'")
        if not (value > 0 and math.isfinite(value)):
            p.error(f"--lr-for must give finite learning rates greater than 0; got {rate} for '{pattern}'")
        if pattern.strip() in rates:
            p.error(f"--lr-for must name each pattern once; got '{pattern.strip()}' twice")
        rates[pattern.strip()] = value
    args.lr_for = rates
    return args


def load_data(args, network):
    """(training Prepared, validation Prepared or None, Task, batch preparation, notes) of the run's options;
    every check that needs no pass over the samples happens here, before the first batch."""
    channels, *size = network.input_shape
    mode = args.image_mode
    if mode is None and len(network.input_shape) == 3 and channels in (1, 3):
        mode = "grey" if channels == 1 else "rgb"
    if args.classes is None and len(network.output_shape) == 3:
        args.classes = network.output_shape[0]
    data = Path(args.data)
    if not data.exists():
        fail(f"--data {data} does not exist")
    fmt, root = detect_format(data) if args.format == "auto" else (args.format, data)
    if fmt == "text":
        # A language model: windows of its input length; its vocabulary (the last output dimension) must hold the
        # tokenizer's ids; bytes by default for a vocabulary below GPT-2's.
        outputs = tuple(network.output_shape)
        if len(network.input_shape) != 1 or len(outputs) != 2 or outputs[0] != network.input_shape[0]:
            fail(f"{network.__name__} takes {list(network.input_shape)} and gives {list(outputs)} per sample, but language modelling needs the next token's "
                 f"scores at each position of a window ([L] token ids in, [L, vocabulary] out); train it on data of another format")
        args.context = network.input_shape[0]
        args.tokenizer = args.tokenizer or ("gpt2" if outputs[1] >= TOKENIZERS["gpt2"] else "bytes")
        if outputs[1] < TOKENIZERS[args.tokenizer]:
            fail(f"--tokenizer must be a tokenizer whose ids {network.__name__}'s vocabulary of {outputs[1]:,} holds (bytes: 256, gpt2: 50,257); "
                 f"got {args.tokenizer} ({TOKENIZERS[args.tokenizer]:,} tokens)")
    elif args.tokenizer is not None:
        fail(f"--tokenizer reads text; {data} holds {fmt} data: leave --tokenizer out")
    if args.format == "segmentation" and args.classes is None:
        fail(f"{network.__name__} gives {list(network.output_shape)} per sample, not [classes, H, W]; pass --classes for its masks")
    try:
        train_source, val_source = open_source(root, fmt, args, mode)
        if args.val_data is not None:
            val_path = Path(args.val_data)
            if not val_path.exists():
                fail(f"--val-data {val_path} does not exist")
            own, split = open_source(detect_format(val_path)[1] if args.format == "auto" else val_path, fmt, args, mode, train_source.classes, validation=True)
            val_source = split or own
    except DataError as e:
        fail(e)

    train_indices = list(range(len(train_source)))
    if args.val_fraction is not None and fmt != "text":  # text holds out the end of its tokens (open_text)
        if len(train_source) < 2:
            fail(f"--val-fraction needs at least 2 samples; {args.data} has {len(train_source)}")
        train_indices, val_indices = validation_split(len(train_source), args.val_fraction, args.seed)
        val_source = train_source
    else:
        val_indices = list(range(len(val_source))) if val_source is not None else []
    if args.limit is not None:
        train_indices = train_indices[:args.limit]

    kind = train_source.kind
    image_size = args.image_size or (min(size) if len(size) == 2 else None)
    for text in (args.transforms, args.eval_transforms):
        p = preset_call(text or "", image_size, args.image_size)
        if p is not None and p[0] != "none" and p[1] is None:
            fail(f"the preset {text} needs an image size: pass --image-size (or write {p[0]}(SIZE))")
    try:
        train_steps, eval_steps = resolve_transforms(args.transforms, args.eval_transforms, image_size, args.image_size)
    except ValueError as e:
        fail(e)
    if (train_steps or eval_steps) and not train_source.images:
        fail(f"--transforms apply to images; {args.data} holds {fmt} samples that are not images: leave --transforms out")

    # The task: --task, or the one the targets imply (masks: segmentation, values: regression, classes: classification).
    task_name = args.task or TASK_OF_KIND[kind]
    fits = {"classification": ("class",), "sequence-classification": ("class",), "segmentation": ("mask",), "regression": ("value", "class"),
            "language-model": ("tokens",)}[task_name]
    if kind not in fits:
        held = {"class": "class targets", "value": "value targets", "mask": "masks", "tokens": "next-token targets"}[kind]
        fail(f"--task {task_name} does not fit {train_source.name}, which holds {held}; {TASK_OF_KIND[kind]} fits them (leave --task out)")
    if kind == "mask" and any(s.name == "ImageToSequence" for s in train_steps + eval_steps):
        fail(f"ImageToSequence: {train_source.name} has mask targets; a sequence has no pixels for a mask to follow. Leave ImageToSequence() out of the transforms")

    # Checks against the network before the first batch.
    outputs = tuple(network.output_shape)
    if len(outputs) == 1 and args.classes is not None:
        outputs = (args.classes,)  # the classifier was replaced for --classes
    for name, source, indices in (("training", train_source, train_indices), ("validation", val_source, val_indices)):
        if source is None:
            continue
        if not indices:
            fail(f"the {name} data {source.name} holds no samples")
        if task_name == "regression":
            values = source.targets.shape[1] if kind == "value" else 1
            if math.prod(outputs) != values:
                fail(f"{network.__name__} gives {list(outputs)} per sample but {source.name} holds {values} target value(s) per sample; "
                     "a regression network ends in as many outputs as the target has values")
        elif kind == "tokens":
            pass  # checked against the network's input and vocabulary above
        elif kind == "class":
            labels = source.labels[torch.tensor(indices)]
            if len(outputs) != 1:
                fail(f"{network.__name__} gives {list(outputs)} per sample, not one score per class, but {source.name} holds class targets")
            if int(labels.max()) >= outputs[0]:
                fail(f"the {name} labels must be in [0, {outputs[0]}) for {network.__name__} ({outputs[0]} outputs); {source.name} has label {int(labels.max())}")
        elif kind == "mask" and (len(outputs) != 3 or outputs[0] != args.classes):
            fail(f"{network.__name__} gives {list(outputs)} per sample but the masks hold {args.classes} classes: it must give [{args.classes}, H, W]")
    task = make_task(task_name, args)
    task.statistics_size = task.size(outputs)

    train = Prepared(train_source, train_indices, train_steps, args.ignore_index)
    val = Prepared(val_source, val_indices, eval_steps, args.ignore_index) if val_source is not None else None
    for name, prepared in (("training", train), ("validation", val)):
        if prepared is None:
            continue
        first = prepared[0]
        if isinstance(first, Failure):
            fail(first.message)
        x = first[0]
        where = prepared.source.source(prepared.indices[0])
        if x.dim() == 3 and len(network.input_shape) == 3:
            if x.shape[0] != channels:
                fail(f"{network.__name__} takes {channels}-channel input but the {name} sample {where} has {x.shape[0]} channels; "
                     f"convert with --image-mode {'grey' if channels == 1 else 'rgb'}" + (" (1 or 3 channels)" if channels not in (1, 3) else ""))
        elif tuple(x.shape) != tuple(network.input_shape):
            fail(f"{network.__name__} takes {list(network.input_shape)} per sample but the {name} sample {where} is {list(x.shape)}")

    # Batch preparation: uint8 to [0, 1]; IDX without --transforms resized (bilinear) to the network's input and
    # normalised with the data set's statistics, as the .NET sample does.
    legacy = fmt == "idx" and args.transforms is None
    mean, std = NORMALISATION[args.dataset] if legacy else (None, None)
    # Only IDX without --transforms is resized here (as the .NET sample does); other sources get their size from
    # their transforms, and a network that pools globally takes any size.
    resize = list(size) if legacy and len(size) == 2 else None

    def prepare(x):
        if kind == "tokens":
            return x  # token ids stay int64
        x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
        if resize is not None and x.dim() == 4 and list(x.shape[-2:]) != resize:
            x = F.interpolate(x, size=resize, mode="bilinear", align_corners=False)
        return x.sub_(mean).div_(std) if mean is not None else x

    describe_steps = lambda steps: "; ".join(map(repr, steps)) or "none"
    notes = [describe(fmt, train_source, len(train_indices), len(val_indices)), f"task: {task}"]
    if train_source.images:
        notes.append(f"images: {mode or 'as stored'}; transforms: train {describe_steps(train_steps)}; eval {describe_steps(eval_steps)}"
                     + (f"; normalised with {args.dataset}'s mean {mean} and std {std}" if legacy else ""))
    return train, val, task, prepare, notes


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
    fine_tuning = []
    if args.classes is not None and len(network.output_shape) == 1 and args.classes != network.output_shape[0]:
        fine_tuning.append(replace_classifier(model, args.classes, args.seed))
    if args.init:
        model.load_state_dict(load_safetensors(args.init))
    if args.init_from:
        fine_tuning.append("init: " + load_pretrained(model, args.init_from))
    if args.freeze:
        frozen = freeze(model, args.freeze)
        fine_tuning.append(f"frozen: {', '.join(args.freeze)}: {len(frozen)} parameter tensors")
    frozen_norms = frozen_batchnorms(model, args.freeze)
    groups = parameter_groups(model, args)
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if world > 1 else model

    train_data, val_data, task, prepare, notes = load_data(args, network)

    # Every process sees 1/world of each step's batch; together they see one permutation per epoch.
    per_process = args.batch_size // world
    sampler = DistributedSampler(range(len(train_data)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    # The loader's own generator seeds its workers, so reading data leaves the global generator (dropout) alone.
    loader_seed = torch.Generator().manual_seed(args.seed + rank)
    train_loader = DataLoader(train_data, batch_size=per_process, sampler=sampler, num_workers=args.workers,
                              collate_fn=functools.partial(collate, source=train_data.source), generator=loader_seed)
    val_loader = None
    if val_data is not None:
        shard = torch.utils.data.Subset(val_data, range(rank, len(val_data), world))  # every sample exactly once over all processes
        val_loader = DataLoader(shard, batch_size=2 * per_process, shuffle=False, num_workers=args.workers,
                                collate_fn=functools.partial(collate, source=val_data.source))
    steps_per_epoch = math.ceil(len(sampler) / per_process)
    optimizer = make_optimizer(args, groups)
    backend = dist.get_backend() if dist.is_initialized() else "single process"
    for note in notes + fine_tuning:
        log(note)
    log(f"{network.__name__}: {sum(p.numel() for p in model.parameters()):,} parameters; {world} process(es) ({backend}, {device.type}); "
        f"batch {args.batch_size} = {world} x {per_process}; {len(train_data):,} training and {len(val_data) if val_data else 0:,} validation samples from {args.data}")

    out.mkdir(parents=True, exist_ok=True)
    rows, step, lr = [], 0, learning_rate(args, 0, steps_per_epoch)

    def optimize(loss):
        nonlocal step, lr
        lr = learning_rate(args, step, steps_per_epoch)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * lr / args.lr  # every group scaled by the schedule's factor
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over the processes here
        if args.clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        step += 1

    for epoch in range(1, args.epochs + 1):
        started = time.time()
        sampler.set_epoch(epoch)
        if train_data.source.kind == "tokens":
            train_data.source.seed, train_data.source.epoch = args.seed, epoch  # the epoch's window offset
        # Dropout draws from a generator seeded by (seed, epoch), as in .NET.
        torch.manual_seed((args.seed * 1_000_003 + epoch) % 2**64)
        ddp.train()
        for norm in frozen_norms:
            norm.eval()  # frozen BatchNorm layers keep their running statistics
        # [loss sum, samples, task statistics...] summed over the processes: the metrics are the whole epoch's.
        train = all_sum(run_epoch(ddp, train_loader, task, prepare, device, optimize)).tolist()

        # Validate rank 0's model, the one the checkpoint holds: the parameters are the same in every process, but
        # BatchNorm's running statistics were last updated with each process's own batch.
        if dist.is_initialized():
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)
        val_loss, val_metric, val_extra = nan, nan, [nan] * len(task.extras)
        if val_loader is not None:
            model.eval()
            with torch.no_grad():
                val = all_sum(run_epoch(model, val_loader, task, prepare, device)).tolist()
            val_loss = val[0] / val[1] if val[1] else nan
            val_metric, val_extra = task.compute(val[2:])

        row = {"epoch": epoch, "train_loss": train[0] / train[1] if train[1] else nan, "train_metric": task.compute(train[2:])[0],
               "val_loss": val_loss, "val_metric": val_metric, "val_extra": val_extra, "lr": lr, "seconds": time.time() - started}
        checked = ["train_loss"] + (["val_loss"] if val_loader is not None else [])
        if not all(math.isfinite(row[k]) for k in checked):
            kept = f"{checkpoint} still holds epoch {epoch - 1}" if epoch > 1 else "no checkpoint was written"
            raise SystemExit(f"error: training diverged in epoch {epoch} (learning rate {lr:.4g}); lower --lr or set --clip 1.0. {kept}")
        rows.append(row)
        if rank == 0:
            save_safetensors(model.state_dict(), checkpoint)
            write_metrics(metrics_csv, rows, task)
        log(epoch_line(row, args.epochs, task, train[1] / max(row["seconds"], 1e-9)))
    log(f"wrote {checkpoint} and {metrics_csv}")
    if dist.is_initialized():
        # Every process reaches this point before any tears the group down: with gloo, a process that destroys the
        # group while another still completes the last collective can leave that one waiting for ever.
        dist.barrier()
        dist.destroy_process_group()
    return model


if __name__ == "__main__":
    main()
