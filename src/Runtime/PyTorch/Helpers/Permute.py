class Permute(nn.Module):
    """torchvision.ops.Permute: x.permute(dims), the batch dimension included."""

    def __init__(self, dims: list) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(self.dims)
