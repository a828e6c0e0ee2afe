"""Per-parameter statistics of freshly built networks, for InitializationTests.

Usage: init_stats.py OUT.json SEED ENTRY...   where ENTRY is tv:NAME (torchvision.models.NAME(), no weights; a
segmentation model with 21 classes, with the auxiliary head where the catalogue declares it: deeplabv3_resnet50) or
twin:PATH/model.py:CLASS (a PyTorch twin). Writes {entry: {parameter: [mean, std, numel, shape, outliers]}}, one
network at a time so the large ones are built once. The moments are float64 over the values within 20 standard
deviations of the mean (a second pass after a first over all values): torch's trunc_normal_ in float32 turns a uniform draw of exactly its lower
bound into erfinv(-1) = -inf, clamped to the cut-off, a value hundreds of standard deviations out that would dominate
the moments of the tensor it lands in; such values are counted in outliers. shape = mean |x - mean| / std (0.798 for a
normal, 0.866 for a uniform).
"""
import importlib.util
import json
import sys

import torch
import torchvision


def stats(module):
    out = {}
    for name, p in module.named_parameters():
        d = p.detach().to(torch.float64).flatten()
        spread = d.std(unbiased=False).item()
        kept = d[(d - d.mean()).abs() <= 20 * spread] if spread > 0 else d
        mean = kept.mean().item()
        std = kept.std(unbiased=False).item()
        shape = (kept - mean).abs().mean().item() / std if std > 0 else 0.0
        out[name] = [mean, std, d.numel(), shape, d.numel() - kept.numel()]
    return out


def build(entry):
    kind, _, rest = entry.partition(":")
    if kind == "tv" and hasattr(torchvision.models.segmentation, rest):
        # The catalogue declares the segmentation networks with 21 classes, deeplabv3_resnet50 with its auxiliary head.
        return getattr(torchvision.models.segmentation, rest)(weights=None, weights_backbone=None, num_classes=21, aux_loss=rest == "deeplabv3_resnet50")
    if kind == "tv":
        return getattr(torchvision.models, rest)()
    path, _, cls = rest.rpartition(":")
    spec = importlib.util.spec_from_file_location("twin_" + cls, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, cls)()


def main():
    out_path, seed, entries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    torch.manual_seed(seed)
    result = {}
    with torch.no_grad():
        for entry in entries:
            net = build(entry)
            result[entry] = stats(net)
            del net
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
