class MultiheadSelfAttention(nn.MultiheadAttention):
    """Self-attention on tokens [N, L, E]: nn.MultiheadAttention (batch first) applied to x, x, x; same keys."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False, padding_of: str = "", padding_idx: int = -1) -> None:
        super().__init__(embed_dim, num_heads, dropout=dropout, batch_first=True)
        self.causal = causal
        self.padding_of = padding_of
        self.padding_idx = padding_idx

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        if self.padding_of:
            # nn.MultiheadAttention's boolean attn_mask is True where a query may not attend, per batch and head.
            blocked = ~KeyPadding.allowed(self, x.shape[0], x.shape[1], self.causal, x.device)
            blocked = blocked.expand(-1, self.num_heads, -1, -1).reshape(-1, x.shape[1], x.shape[1])
            return super().forward(x, x, x, attn_mask=blocked, need_weights=False)[0]
        later = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool, device=x.device).triu(1) if self.causal else None
        return super().forward(x, x, x, attn_mask=later, need_weights=False)[0]
