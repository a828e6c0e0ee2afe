"""Checks train.py's transform parser against torchvision's own objects, and prints its validation splits (TwinDataTests).

Usage: twin_transforms_check.py TRAIN_PY COUNT:FRACTION:SEED...
Asserts, for each preset at two image sizes, that the parsed pipelines are torchvision's classes with the preset's
arguments and give the outputs of the same pipeline built directly on fixed seeds; that explicit text, the printed
syntax and the joint (image + mask) transforms behave; that bad text is refused with its message. Then prints one line
`split COUNT FRACTION SEED: VALIDATION INDICES` per argument, for comparison with the .NET runtime's Dataset.Split.
"""

import importlib.util
import sys

import torch
from torchvision import transforms as T

train_py, *splits = sys.argv[1:]
spec = importlib.util.spec_from_file_location("train", train_py)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
CIFAR = ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])


def expected(preset, size):
    """The presets as the shared decisions define them, built directly with torchvision."""
    if preset == "imagenet":
        return ([T.RandomResizedCrop(size, antialias=True), T.RandomHorizontalFlip(), T.Normalize(*IMAGENET)],
                [T.Resize(int(size * 256 / 224), antialias=True), T.CenterCrop(size), T.Normalize(*IMAGENET)])
    if preset == "cifar":
        return [T.RandomCrop(size, padding=4), T.RandomHorizontalFlip(), T.Normalize(*CIFAR)], [T.Normalize(*CIFAR)]
    return [], []


def same(a, b):
    assert type(a) is type(b), f"{type(a).__name__} != {type(b).__name__}"
    for key, value in vars(b).items():
        if not key.startswith("_") and key != "training":
            assert getattr(a, key) == value, f"{type(a).__name__}.{key}: {getattr(a, key)!r} != {value!r}"


for preset in ("imagenet", "cifar", "none"):
    for size in (32, 224):
        ours = train.resolve_transforms(preset, None, size, size)  # the size as --image-size gives it
        for name, steps, theirs in zip(("train", "eval"), ours, expected(preset, size)):
            assert len(steps) == len(theirs), f"{preset} {name}: {steps}"
            for step, t in zip(steps, theirs):
                same(step.transform, t)
            # Round trip through the printed syntax, and the same outputs as the direct pipeline on fixed seeds.
            again = train.parse_transforms("; ".join(map(repr, steps)))
            assert list(map(repr, again)) == list(map(repr, steps)), f"{steps} prints as {again}"
            image = torch.rand(3, size + 9, size + 5, generator=torch.Generator().manual_seed(size))
            for seed in range(3):
                torch.manual_seed(seed)
                a = T.Compose([s.transform for s in steps])(image)
                torch.manual_seed(seed)
                b = T.Compose(theirs)(image)
                assert torch.equal(a, b), f"{preset} {name} at seed {seed} differs"
        print(f"preset {preset}: ok")

# Without --image-size the cifar preset keeps CIFAR's 32 whatever the network's size (TransformPresets.CifarSize).
assert [repr(s) for s in train.resolve_transforms("cifar", None, 224)[0]][0] == "RandomCrop(32, padding=4)"

# --eval-transforms as a preset name, and the .NET runtime's evaluation counterpart of explicit text by default
# (TransformPresets.EvalCounterpart: random crops become centre crops, flips and jitter are dropped).
_, evaluation = train.resolve_transforms("Resize(40); RandomCrop(32, padding=2); ColorJitter(brightness=0.2); Normalize(mean=[0.5], std=[0.5])", None, 32)
assert [repr(s) for s in evaluation] == ["Resize(40)", "CenterCrop(32)", "Normalize(mean=[0.5], std=[0.5])"], evaluation
_, evaluation = train.resolve_transforms("RandomResizedCrop(160); RandomHorizontalFlip(); Grayscale(num_output_channels=3)", None, 32)
assert [repr(s) for s in evaluation] == ["Resize(182)", "CenterCrop(160)", "Grayscale(num_output_channels=3)"], evaluation
_, evaluation = train.resolve_transforms("imagenet(96)", None, 32)
assert [repr(s) for s in evaluation] == ["Resize(109)", "CenterCrop(96)", "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])"], evaluation
_, evaluation = train.resolve_transforms("RandomHorizontalFlip()", "imagenet", 64)
assert [repr(s) for s in evaluation] == ["Resize(73)", "CenterCrop(64)", "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])"], evaluation

# Explicit text: every transform of the shared syntax, positional and keyword arguments.
steps = train.parse_transforms(
    "Resize([20, 30], antialias=False); CenterCrop(16); RandomResizedCrop(12, scale=[0.5, 1.0], ratio=[0.9, 1.1]); "
    "RandomCrop(10, padding=1, pad_if_needed=True, fill=0); RandomHorizontalFlip(p=0.25); "
    "ColorJitter(brightness=0.4, contrast=0.3, saturation=0.2); Normalize(mean=[0.1, 0.2, 0.3], std=[1, 2, 3]); Grayscale(num_output_channels=3)")
for step, t in zip(steps, [T.Resize([20, 30], antialias=False), T.CenterCrop(16), T.RandomResizedCrop(12, scale=(0.5, 1.0), ratio=(0.9, 1.1), antialias=True),
                           T.RandomCrop(10, padding=1, pad_if_needed=True, fill=0), T.RandomHorizontalFlip(p=0.25),
                           T.ColorJitter(brightness=0.4, contrast=0.3, saturation=0.2), T.Normalize([0.1, 0.2, 0.3], [1, 2, 3]), T.Grayscale(3)]):
    same(step.transform, t)
assert len(steps) == 8
print("explicit: ok")

# Refusals, with their messages.
for text, message in [
        ("Resize(32); Rotate(10)", "--transforms: unknown transform 'Rotate' in 'Rotate(10)'; known transforms: Resize, CenterCrop, RandomResizedCrop, "
                                   "RandomCrop, RandomHorizontalFlip, ColorJitter, Normalize, Grayscale, ImageToSequence (or a preset: imagenet, cifar, none)"),
        ("Resize(__import__('os').getcwd())", "--transforms: cannot read the arguments of 'Resize(__import__('os').getcwd())'"),
        ("RandomCrop(32, pading=4)", "--transforms: 'RandomCrop(32, pading=4)' has no argument pading; RandomCrop takes size, padding, pad_if_needed, fill"),
        ("Normalize(mean=[0.5])", "--transforms: 'Normalize(mean=[0.5])': mean and std are required"),
]:
    try:
        train.parse_transforms(text)
    except ValueError as e:
        assert str(e).startswith(message), f"{text}: {e}"
    else:
        raise AssertionError(f"{text} was accepted")
print("refusals: ok")

# Joint transforms: one draw for image and mask, nearest for the mask, the mask padded with the ignore index.
rows, cols = torch.meshgrid(torch.arange(20), torch.arange(24), indexing="ij")
mask = (rows // 7 + cols // 9) % 3  # blocks: bilinear blends only along their edges
image = mask.float().div(255).expand(3, -1, -1).clone()  # every channel carries the mask's class
joint = train.parse_transforms("RandomCrop(24, padding=4); RandomHorizontalFlip(); RandomResizedCrop(16, scale=[0.3, 1.0])")
for seed in range(5):
    torch.manual_seed(seed)
    x, m = train.joint_transform(joint, image, mask, 255)
    assert x.shape == (3, 16, 16) and m.shape == (16, 16) and m.dtype == torch.int64, (x.shape, m.shape, m.dtype)
    assert set(m.unique().tolist()) <= {0, 1, 2, 255}, m.unique()
    # Where the mask has a class and the image is not blended across an edge, both show the same class.
    agree = ((x[0] * 255).round().long() == m) | (m == 255)
    assert agree.float().mean() > 0.75, f"seed {seed}: image and mask disagree on {1 - agree.float().mean():.0%} of the pixels"
flip = train.parse_transforms("RandomHorizontalFlip(p=1.0); CenterCrop([24, 30])")
x, m = train.joint_transform(flip, image, mask, 255)
assert torch.equal(m[2:22, 3:27], mask.flip(-1)) and (m[:2] == 255).all() and (m[:, :3] == 255).all() and (x[:, :2] == 0).all()
print("joint: ok")

for spec in splits:
    count, fraction, seed = spec.split(":")
    _, validation = train.validation_split(int(count), float(fraction), int(seed))
    print(f"split {count} {fraction} {seed}: {' '.join(map(str, validation))}")
