class Tokens(nn.Module):
    """An image [N, C, H, W] as tokens [N, H*W, C]: flatten the positions, then transpose (ViT's patch tokens)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(2).transpose(1, 2)
