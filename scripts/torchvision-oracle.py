#!/usr/bin/python3
"""The torchvision side of the compatibility tests, for any torchvision classification model by name, and the
segmentation models of torchvision.models.segmentation (21 classes; their "out" is the logits; deeplabv3_resnet50 with
its auxiliary head, aux_loss=True, whose "aux" is written and compared beside them: torchvision computes it in both
modes, so in evaluation mode; fcn_resnet50 without, aux_loss=False).
inception_v3 and googlenet are built with their auxiliary classifiers (aux_logits=True, transform_input=False,
init_weights=True); their auxiliary outputs are written and compared beside the logits under the catalogue's names
(aux; aux1, aux2), computed in training mode (the only mode that runs them) with dropout and BatchNorm as in evaluation,
so they are deterministic.

  keys NAME        prints the state_dict keys and shapes of torchvision's NAME, one "key shape" per line (shape as
                   comma-separated sizes, "scalar" for 0-d tensors)
  export NAME DIR [SIZE]
                   writes DIR/NAME.pth (the state_dict of a seeded NAME, weights=None, with random normalisation
                   statistics and affine parameters, so a wrong wiring of any of them shows) and DIR/NAME-io.pth
                   ({"input": (2, 3, SIZE, SIZE), "logits": (2, classes) or (2, classes, SIZE, SIZE)}, eval mode;
                   SIZE defaults to 224)
  check NAME DIR   loads DIR/csharp.pth (a state_dict saved by TorchSharp) into torchvision's NAME (strict), runs it in
                   eval mode on the "input" of DIR/csharp-io.pth and compares with its "logits" (and auxiliary
                   outputs, which it must hold); prints the largest difference of each and the number of keys; exit code 0 when below 1e-4 or 1e-5 of the largest logit,
                   whichever is larger (segmentation logits reach the hundreds, where float32 sums in another order
                   differ by more than 1e-4; a wrong wiring differs by the logits' own size)
"""
import os
import sys

import torch
import torchvision.models as models


# torchvision's fields of InceptionOutputs / GoogLeNetOutputs, by the names the catalogue's [Output]s give them (the
# names of the modules that compute them). torchvision 0.14's GoogLeNet.forward unpacks _forward's (x, aux2, aux1) as
# (x, aux1, aux2), so its aux_logits2 field holds module aux1's output (after inception4a) and aux_logits1 module aux2's.
AUXILIARY = {"inception_v3": {"aux": "aux_logits"}, "googlenet": {"aux1": "aux_logits2", "aux2": "aux_logits1"}}

# Segmentation models declared with their auxiliary head (aux_loss=True) in the catalogue.
SEGMENTATION_AUX = {"deeplabv3_resnet50"}


def build(name):
    torch.manual_seed(0)
    if hasattr(models.segmentation, name):
        return getattr(models.segmentation, name)(weights=None, weights_backbone=None, num_classes=21, aux_loss=name in SEGMENTATION_AUX)
    if name in AUXILIARY:
        return getattr(models, name)(weights=None, aux_logits=True, transform_input=False, init_weights=True)
    return getattr(models, name)(weights=None)


def outputs(name, model, x):
    """The eval-mode logits, and each auxiliary output in training mode with dropout and BatchNorm in evaluation mode."""
    model.eval()
    with torch.no_grad():
        result = {"logits": logits(model, x)}
        if name in SEGMENTATION_AUX:
            result["aux"] = model(x)["aux"]
    if name in AUXILIARY:
        model.train()
        for m in model.modules():
            if isinstance(m, (torch.nn.Dropout, torch.nn.BatchNorm2d)):
                m.eval()
        with torch.no_grad():
            y = model(x)
        model.eval()
        for ours, theirs in AUXILIARY[name].items():
            result[ours] = getattr(y, theirs)
    return result


def logits(model, x):
    y = model(x)
    return y["out"] if isinstance(y, dict) else y


def shape_text(tensor):
    return ",".join(str(s) for s in tensor.shape) if tensor.dim() > 0 else "scalar"


def randomize_normalisation(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.GroupNorm)):
                if m.weight is not None:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)


def keys(name):
    for key, value in build(name).state_dict().items():
        print(key, shape_text(value))


def export(name, out_dir, size=224):
    model = build(name)
    randomize_normalisation(model)
    x = torch.randn(2, 3, size, size)
    y = outputs(name, model, x)
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
    torch.save({"input": x, **y}, os.path.join(out_dir, name + "-io.pth"))
    print("exported", name, ", ".join(f"{k} {tuple(v.shape)}" for k, v in y.items()))


def check(name, in_dir):
    model = build(name)
    state = torch.load(os.path.join(in_dir, "csharp.pth"))
    model.load_state_dict(state, strict=True)
    io = torch.load(os.path.join(in_dir, "csharp-io.pth"))
    y = outputs(name, model, io["input"])
    given = sorted(k for k in io if k != "input")
    if given != sorted(y):
        print(f"outputs differ: TorchSharp wrote {given}, torchvision has {sorted(y)}")
        return 1
    failed = False
    for output in sorted(y, key=lambda k: k != "logits"):
        diff = (y[output] - io[output]).abs().max().item()
        scale = io[output].abs().max().item()
        prefix = "" if output == "logits" else output + ": "
        print(f"{prefix}max_abs_diff={diff:.3e} largest_logit={scale:.3e}" + (f" keys={len(state)}" if output == "logits" else ""))
        failed |= not diff < max(1e-4, 1e-5 * scale)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "keys":
        keys(sys.argv[2])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3], *(int(a) for a in sys.argv[4:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
