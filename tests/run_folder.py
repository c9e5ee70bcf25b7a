"""What a finished run folder holds, written out by name: the tests' oracle for the run files'
layout (``inspector.training.run_files`` owns the names; spelled again here on purpose, so that
a renamed file fails the tests instead of following silently)."""

FINISHED_RUN = [
    "checkpoint.json",
    "checkpoint.safetensors",
    "generator.safetensors",  # the generator-only export, written with every checkpoint
    "metrics.jsonl",
    "samples",
]
