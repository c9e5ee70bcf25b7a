"""Checkpoints from anywhere: identified, proven, fitted to an architecture, compared and exported.

``identify`` reads a file (this project's, the notebook's classes', the pix2pix reference code's,
a DataParallel or compiled model's) with the safe readers of ``inspector.training`` and proves
each network it holds by building its config, loading it strictly and running it;
``fit`` tells a mismatch with a chosen architecture as settings; ``compare`` puts two checkpoints
of one architecture side by side; ``export`` writes this project's format, value for value.
"""
