"""Convolution arithmetic made visible: Conv2d / ConvTranspose2d animations, their
rendering to frames and GIFs, and the PatchGAN receptive field."""
