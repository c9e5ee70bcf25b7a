"""Images in, tensors out: bounded image decoding, zip archives read without
extraction, image sets (samples, folders, uploads) and training batches."""
