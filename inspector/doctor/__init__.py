"""The mismatch doctor: per-layer rules in a table keyed by layer type (rules), the state of one pass
(exam), the report's problems and kinds (report) and its words (layer_words, size_words), the
changes a fix is made of and their proofs on a meta copy (changes, proof), the real CPU run that
gives PyTorch's own message (pytorch_run), and diagnose() that puts them together."""
