"""The Lab colour pipeline: RGB <-> Lab on tensors, the normalisation the networks
see (L/50 - 1, ab/110), and the views of a photo split into L, a, b."""
