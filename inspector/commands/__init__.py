"""The CLI's subcommands; each module's ``register`` adds one (or a few) to the parser."""

from inspector.commands import (
    animate,
    app,
    checkpoint,
    colorize,
    compare,
    diagram,
    doctor,
    features,
    summary,
    train,
    weights,
)
from inspector.commands import trace as trace_command

# Order is the order of `pix2pix-inspector --help`.
COMMANDS = [
    summary.register,
    compare.register,
    trace_command.register,
    doctor.register,
    diagram.register,
    weights.register,
    animate.register,
    train.register,
    colorize.register,
    checkpoint.register,
    features.register,
    app.register,
]
