"""An independent padded self-attention network in plain PyTorch: nn.Embedding, a learned position table,
nn.MultiheadAttention (batch first) given key_padding_mask (and a causal attn_mask when asked), a Linear head. Loads
the weights the C# network wrote and writes its logits; with a twin file, the twin's logits on the same weights too.

usage: padding_oracle.py DIR PAD CAUSAL(0|1) [TWIN.py CLASS]
  reads DIR/weights.pth (the C# state_dict: embedding, positions, attention as in_proj_* / out_proj.* or GPT-2's
  c_attn.* / c_proj.*, head) and DIR/ids.pth ({"ids": int64 [N, L]}); writes DIR/logits.pth ({"logits", "twin"}).
"""
import importlib.util
import sys

import torch
import torch.nn as nn


def main():
    folder, pad, causal = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    torch.set_num_threads(1)
    weights = torch.load(folder + "/weights.pth")
    ids = torch.load(folder + "/ids.pth")["ids"]
    embedding = weights.get("embed.weight", weights.get("wte.weight"))
    positions = weights.get("positions.weight", weights.get("wpe.weight"))
    dim = embedding.shape[1]
    attention = nn.MultiheadAttention(dim, 2, batch_first=True)
    attention.in_proj_weight.data = weights.get("attn.in_proj_weight", weights.get("attn.c_attn.weight"))
    attention.in_proj_bias.data = weights.get("attn.in_proj_bias", weights.get("attn.c_attn.bias"))
    attention.out_proj.weight.data = weights.get("attn.out_proj.weight", weights.get("attn.c_proj.weight"))
    attention.out_proj.bias.data = weights.get("attn.out_proj.bias", weights.get("attn.c_proj.bias"))
    head_weight = weights.get("head.weight", embedding)  # a head tied to the embedding has no key of its own
    head_bias = weights.get("head.bias")
    attention.eval()
    length = ids.shape[1]
    with torch.no_grad():
        x = nn.functional.embedding(ids, embedding) + positions[:length]
        later = torch.ones(length, length, dtype=torch.bool).triu(1) if causal else None
        y = attention(x, x, x, key_padding_mask=ids.eq(pad), attn_mask=later, need_weights=False)[0]
        result = {"logits": nn.functional.linear(y, head_weight, head_bias)}
        if len(sys.argv) > 5:
            spec = importlib.util.spec_from_file_location("twin", sys.argv[4])
            twin = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(twin)
            network = getattr(twin, sys.argv[5])().eval()
            network.load_state_dict(weights)
            result["twin"] = network(ids)
    torch.save(result, folder + "/logits.pth")


if __name__ == "__main__":
    main()
