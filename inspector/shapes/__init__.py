"""Shapes without memory: meta copies, the tracing engine and its records, shape text,
torchinfo summaries, valid input sizes, layer editing and the U diagram."""
