"""Oracle for TransformTests: applies torchvision's own transforms (tensor code path) to the cases the C# test writes.

Usage: transform_oracle.py cases.json results.json

Each case: {"name", "op", "image": {"shape", "data"} (float32 values), "args": {...}}. Random transforms get the
parameters the C# side drew: their get_params is replaced by one returning them, so torchvision's own forward (padding,
crop, resize, order of the colour operations) runs on them. "*_params" cases run torchvision's get_params itself with
torch's random functions replaced by the C# generator's draws (the 64-bit words in "words"), so the box arithmetic is
torchvision's.
"""
import json
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
import torchvision.transforms.transforms as transforms_module
from torchvision.transforms import InterpolationMode


def tensor(spec, dtype=torch.float32):
    return torch.tensor(np.array(spec["data"], dtype=np.float64), dtype=dtype).reshape(spec["shape"])


def encode(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


class Words:
    """The C# TransformRandom's draws: Uniform(a, b) = a + (b - a) * (word >> 11) * 2**-53; Int(lo, hi) = lo + word % (hi - lo)."""

    def __init__(self, words):
        self.words = iter(int(w) for w in words)

    def unit(self):
        return (next(self.words) >> 11) * 2.0 ** -53

    def integer(self, low, high):
        return low + next(self.words) % (high - low)


class FakeTorch:
    """torch with empty(1).uniform_ and randint drawing from Words; everything else is torch's."""

    def __init__(self, words):
        self._w = words

    def __getattr__(self, name):
        return getattr(torch, name)

    def empty(self, *args, **kwargs):
        w = self._w

        class Draw:
            def uniform_(self, a, b):
                a, b = float(a), float(b)
                # torch draws float32 values; the C# side rounds its double draw to float32 the same way.
                return torch.tensor([np.float32(a + (b - a) * w.unit())], dtype=torch.float32)

        return Draw()

    def randint(self, low, high, size):
        return torch.tensor([self._w.integer(int(low), int(high))])


def with_fake_torch(words, fn):
    real = transforms_module.torch
    transforms_module.torch = FakeTorch(Words(words))
    try:
        return fn()
    finally:
        transforms_module.torch = real


def run(case):
    op, a = case["op"], case.get("args", {})
    img = tensor(case["image"]) if "image" in case else None
    if op == "resize":
        return encode(F.resize(img, a["size"], interpolation=InterpolationMode.BILINEAR, antialias=a["antialias"]))
    if op == "resize_mask":
        return encode(F.resize(img.unsqueeze(0), a["size"], interpolation=InterpolationMode.NEAREST).squeeze(0))
    if op == "center_crop":
        return encode(F.center_crop(img, a["size"]))
    if op == "hflip":
        return encode(F.hflip(img))
    if op == "normalize":
        return encode(F.normalize(img, a["mean"], a["std"]))
    if op == "grayscale":
        return encode(T.Grayscale(a["num_output_channels"])(img))
    if op == "adjust_brightness":
        return encode(F.adjust_brightness(img, a["factor"]))
    if op == "adjust_contrast":
        return encode(F.adjust_contrast(img, a["factor"]))
    if op == "adjust_saturation":
        return encode(F.adjust_saturation(img, a["factor"]))
    if op == "random_crop":
        t = T.RandomCrop(a["size"], padding=a["padding"], pad_if_needed=a["pad_if_needed"], fill=a["fill"])
        box = tuple(a["box"])
        t.get_params = lambda _img, _size: box
        return encode(t(img))
    if op == "random_resized_crop":
        t = T.RandomResizedCrop(a["size"], scale=tuple(a["scale"]), ratio=tuple(a["ratio"]), antialias=a["antialias"])
        box = tuple(a["box"])
        t.get_params = lambda _img, _scale, _ratio: box
        return encode(t(img))
    if op == "color_jitter":
        t = T.ColorJitter(brightness=a["brightness"], contrast=a["contrast"], saturation=a["saturation"])
        params = (torch.tensor(a["order"]), a["b"], a["c"], a["s"], None)
        t.get_params = lambda *_: params
        return encode(t(img))
    if op == "rrc_params":
        dummy = torch.zeros(1, a["height"], a["width"])
        box = with_fake_torch(a["words"], lambda: T.RandomResizedCrop.get_params(dummy, a["scale"], a["ratio"]))
        return {"box": [int(v) for v in box]}
    if op == "crop_params":
        dummy = torch.zeros(1, a["height"], a["width"])
        box = with_fake_torch(a["words"], lambda: T.RandomCrop.get_params(dummy, tuple(a["size"])))
        return {"box": [int(v) for v in box]}
    raise ValueError("unknown op " + op)


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    results = {}
    for case in cases:
        try:
            results[case["name"]] = run(case)
        except Exception as e:  # reported per case so one failure names itself
            results[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
    results["_versions"] = {"torch": torch.__version__, "torchvision": __import__("torchvision").__version__}
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
