class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d: LayerNorm over the channels of [N, C, H, W] (keys weight, bias)."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
