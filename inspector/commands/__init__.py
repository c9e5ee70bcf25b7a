"""The CLI's subcommands; each module's ``register`` adds one (or a few) to the parser."""

from inspector.commands import animate, app, colorize, compare, summary, train, weights

# Order is the order of `pix2pix-inspector --help`.
COMMANDS = [
    summary.register,
    compare.register,
    weights.register,
    animate.register,
    train.register,
    colorize.register,
    app.register,
]
