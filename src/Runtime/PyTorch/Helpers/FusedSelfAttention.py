class FusedSelfAttention(nn.Module):
    """GPT-2's self-attention on tokens [N, L, E]: c_attn (E to 3E: q, k, v), softmax(q k^T / sqrt(d)) v per head,
    causal when asked, c_proj (E to E); dropout on the weights and the result in training."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False, padding_of: str = "", padding_idx: int = -1) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.causal = causal
        self.padding_of = padding_of
        self.padding_idx = padding_idx
        self.c_attn = nn.Linear(embed_dim, 3 * embed_dim)
        self.c_proj = nn.Linear(embed_dim, embed_dim)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        n, length, embed = x.shape
        head = embed // self.num_heads
        q, k, v = (t.view(n, length, self.num_heads, head).transpose(1, 2) for t in self.c_attn(x).split(embed, dim=2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(head)
        if self.padding_of:
            scores = scores.masked_fill(~KeyPadding.allowed(self, n, length, self.causal, x.device), float("-inf"))
        elif self.causal:
            later = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(later, float("-inf"))
        y = self.attn_dropout(scores.softmax(dim=-1)) @ v
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(n, length, embed)))
