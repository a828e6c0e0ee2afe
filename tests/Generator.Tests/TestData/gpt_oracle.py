"""An independent GPT-2 in plain PyTorch (the standard block: pre-LayerNorm, fused q/k/v projection, causal softmax
attention, tanh GELU MLP, token and learned position embeddings, output projection tied to the token embedding), with
nanoGPT's module names. Loads the weights the C# network wrote and writes its logits and state_dict keys.

usage: gpt_oracle.py DIR VOCAB CONTEXT DIM LAYERS HEADS HIDDEN [float64]
  reads DIR/weights.pth (the C# state_dict) and DIR/ids.pth ({"ids": int64 [N, L]}),
  writes DIR/logits.pth ({"logits": [N, L, VOCAB]}), DIR/reference.pth (its own state_dict, the tied weight under both
  keys, as PyTorch saves it), DIR/parameters.txt (named_parameters: "name shape" lines) and
  DIR/state_dict.txt (state_dict keys), and prints what load_state_dict reported missing and unexpected.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.attn_dropout = nn.Dropout(0.0)
        self.resid_dropout = nn.Dropout(0.0)

    def forward(self, x):
        n, length, dim = x.shape
        q, k, v = self.c_attn(x).split(dim, dim=2)
        q, k, v = (t.view(n, length, self.heads, dim // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dim // self.heads)
        later = torch.ones(length, length, dtype=torch.bool).triu(1)
        weights = self.attn_dropout(F.softmax(scores.masked_fill(later, float("-inf")), dim=-1))
        y = (weights @ v).transpose(1, 2).contiguous().view(n, length, dim)
        return self.resid_dropout(self.c_proj(y))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.c_fc = nn.Linear(dim, hidden)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(hidden, dim)
        self.dropout = nn.Dropout(0.0)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, vocab, context, dim, layers, heads, hidden):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, dim),
            wpe=nn.Embedding(context, dim),
            drop=nn.Dropout(0.0),
            h=nn.ModuleList([Block(dim, heads, hidden) for _ in range(layers)]),
            ln_f=nn.LayerNorm(dim),
        ))
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # one tensor, as GPT-2 ties them

    def forward(self, ids):
        positions = torch.arange(ids.shape[1])
        x = self.transformer.drop(self.transformer.wte(ids) + self.transformer.wpe(positions))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def main():
    folder = sys.argv[1]
    vocab, context, dim, layers, heads, hidden = (int(a) for a in sys.argv[2:8])
    torch.set_num_threads(1)
    model = Gpt(vocab, context, dim, layers, heads, hidden).eval()
    with open(folder + "/parameters.txt", "w") as f:
        for name, p in model.named_parameters():
            f.write(name + " " + " ".join(str(d) for d in p.shape) + "\n")
    with open(folder + "/state_dict.txt", "w") as f:
        for name in model.state_dict():
            f.write(name + "\n")
    weights = torch.load(folder + "/weights.pth")
    result = model.load_state_dict(weights, strict=False)
    print("missing:", " ".join(sorted(result.missing_keys)))
    print("unexpected:", " ".join(sorted(result.unexpected_keys)))
    torch.save(model.state_dict(), folder + "/reference.pth")
    if len(sys.argv) > 8 and sys.argv[8] == "float64":
        model = model.double()
    ids = torch.load(folder + "/ids.pth")["ids"]
    with torch.no_grad():
        torch.save({"logits": model(ids)}, folder + "/logits.pth")


if __name__ == "__main__":
    main()
