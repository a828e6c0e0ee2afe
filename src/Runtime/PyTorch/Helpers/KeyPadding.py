class KeyPadding:
    """The padding mask of self-attention layers: the keys whose ids, entering the Embedding padding_of names, equal
    padding_idx are not attended to, except by the padding token itself (no row of weights is empty: PyTorch's
    key_padding_mask gives such rows NaN). KeyPadding.connect_all hooks the Embeddings of a built network."""

    @staticmethod
    def connect_all(network: nn.Module) -> None:
        for module in network.modules():
            if getattr(module, "padding_of", ""):
                network.get_submodule(module.padding_of).register_forward_pre_hook(
                    lambda _, inputs, attention=module: setattr(attention, "_padding", inputs[0].eq(attention.padding_idx)))

    @staticmethod
    def allowed(attention: nn.Module, n: int, length: int, causal: bool, device: torch.device) -> Tensor:
        """Where each query may attend, bool [N, 1, L, L]."""
        padding = getattr(attention, "_padding", None)
        if padding is None or tuple(padding.shape) != (n, length):
            raise RuntimeError(f"this attention masks the padding of {attention.padding_of}, whose last ids do not fit [{n}, {length}]: run the network from its input")
        allowed = (~padding.to(device)).view(n, 1, 1, length) | torch.eye(length, dtype=torch.bool, device=device)
        return allowed & torch.ones(length, length, dtype=torch.bool, device=device).tril() if causal else allowed
