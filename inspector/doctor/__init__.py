"""The mismatch doctor: per-layer rules keyed by layer type, the report (problems, fixes,
folding) and the real CPU run that gives PyTorch's own message."""
