class PositionTable(nn.Module):
    """The first L rows of a table [max_length, D] added to tokens [N, L, D]: learned (key weight, nn.Embedding's
    layout) or the fixed sine and cosine table (no parameters)."""

    def __init__(self, max_length: int, dim: int, sinusoidal: bool = False, std: float = 0.02) -> None:
        super().__init__()
        self.max_length = max_length
        self.dim = dim
        if sinusoidal:
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.empty(max_length, dim).normal_(std=std))

    @staticmethod
    def sinusoid(length: int, dim: int, dtype: torch.dtype, device: torch.device) -> Tensor:
        position = torch.arange(length, dtype=torch.float64).unsqueeze(1)
        rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
        table = torch.zeros(length, dim, dtype=torch.float64)
        table[:, 0::2] = torch.sin(position * rate)
        table[:, 1::2] = torch.cos(position * rate)[:, : dim // 2]
        return table.to(dtype=dtype, device=device)

    def forward(self, x: Tensor) -> Tensor:
        if self.weight is not None:
            return x + self.weight[: x.shape[1]]
        return x + self.sinusoid(x.shape[1], self.dim, x.dtype, x.device)
