class SelectToken(nn.Module):
    """One token of [N, L, ...]: x[:, index]."""

    def __init__(self, index: int = 0) -> None:
        super().__init__()
        self.index = index

    def forward(self, x: Tensor) -> Tensor:
        return x[:, self.index]
