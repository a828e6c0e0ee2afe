#!/usr/bin/env bash
# The tests that compare with PyTorch (torchvision keys and logits, the PyTorch twin, DDP, the ONNX checker) need
# Debian's python3-torch, python3-torchvision and python3-onnx. Where they are missing and we are root with apt,
# install them (about 1.5 min); otherwise those tests skip and say why. Never fails the build.
set -uo pipefail
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c "import torch, torchvision, onnx" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "python3-torch/torchvision/onnx not installed (and not root with apt): the PyTorch oracle tests will skip." >&2
  exit 0
fi
echo "Installing python3-torch, python3-torchvision and python3-onnx for the oracle tests..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq python3-torch python3-torchvision python3-onnx >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq python3-torch python3-torchvision python3-onnx >/dev/null 2>&1 \
    || echo "Could not install the Python oracles: the PyTorch oracle tests will skip." >&2
fi
exit 0
