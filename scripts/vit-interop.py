#!/usr/bin/python3
"""PyTorch side of the ViT-B/16 interop test: torchvision's vit_b_16 against the generated VitB16.

  export DIR   writes DIR/vit_b_16.pth (state_dict of a seeded vit_b_16, with a random class token and head, which
               torchvision starts at zero) and DIR/vit_b_16-io.pth ({"input": (2,3,224,224), "logits": (2,1000)}), eval mode
"""
import os
import sys

import torch
import torchvision.models as models


def export(out_dir):
    torch.manual_seed(0)
    model = models.vit_b_16()
    with torch.no_grad():
        model.class_token.normal_(std=0.5)
        model.heads.head.weight.normal_(std=0.02)
        model.heads.head.bias.uniform_(-0.1, 0.1)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    torch.save(model.state_dict(), os.path.join(out_dir, "vit_b_16.pth"))
    torch.save({"input": x, "logits": y}, os.path.join(out_dir, "vit_b_16-io.pth"))
    print("exported", tuple(y.shape))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "export":
        sys.exit(__doc__)
    export(sys.argv[2])
