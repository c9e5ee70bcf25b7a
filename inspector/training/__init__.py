"""Training and its files: the trainer, run planning shared by the CLI and the app,
checkpoints and their validation, device choice, torchrun, and colorizing with a run."""
