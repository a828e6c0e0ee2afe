class LSTM(nn.LSTM):
    """nn.LSTM (batch first) returning one tensor: every step's output [N, L, D*H], or the last layer's final hidden state [N, D*H]."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, dropout: float = 0.0,
                 bidirectional: bool = False, last_step: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=True, dropout=dropout, bidirectional=bidirectional)
        self.last_step = last_step

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        output, state = super().forward(x)
        if not self.last_step:
            return output
        hidden = state[0]
        return torch.cat([hidden[-2], hidden[-1]], 1) if self.bidirectional else hidden[-1]
