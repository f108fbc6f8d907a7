"""Paddle inference model -> verified ONNX -> Triton model repository."""
