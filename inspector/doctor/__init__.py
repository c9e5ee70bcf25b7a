"""The mismatch doctor: per-layer rules in a table keyed by layer type (rules), the state of one pass
(exam), the report (problems, wording of problems and fixes, folding), the real CPU run that gives
PyTorch's own message (pytorch_run), and diagnose() that puts them together."""
