class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: drops the branch per sample (\"row\") or per batch in training."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = x.new_empty(size).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise
