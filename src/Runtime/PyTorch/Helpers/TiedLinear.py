class TiedLinear(nn.Module):
    """A Linear whose weight is the layer tied_to's (GPT-2's lm_head and wte): one parameter with one state_dict
    key, that layer's; this module holds only its bias. TiedLinear.tie_all connects a built network."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, tied_to: str = "") -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.tied_to = tied_to
        self.register_parameter("bias", nn.Parameter(torch.zeros(out_features)) if bias else None)
        self._source: list = []  # not a submodule: the weight stays the tied layer's

    @property
    def weight(self) -> Tensor:
        return self._source[0].weight

    @staticmethod
    def tie_all(network: nn.Module) -> None:
        for module in network.modules():
            if isinstance(module, TiedLinear):
                module._source = [network.get_submodule(module.tied_to)]

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight, self.bias)
