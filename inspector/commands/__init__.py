"""The CLI's subcommands; each module's ``register`` adds one (or a few) to the parser."""

from inspector.commands import app, compare, summary

# Order is the order of `pix2pix-inspector --help`.
COMMANDS = [
    summary.register,
    compare.register,
    app.register,
]
