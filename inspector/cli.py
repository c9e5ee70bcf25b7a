"""``pix2pix-inspector``: every feature of the app, from a terminal.

Each subcommand lives in ``inspector/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a ``run(args) -> int`` returning the exit code.
Exit codes: 0 fine, 1 the command found problems (``doctor``), 2 bad arguments or input
(always one line on stderr, never a traceback; ``PIX2PIX_DEBUG=1`` re-raises unexpected errors).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from inspector.errors import UserError

PROG = "pix2pix-inspector"


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump) and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> ArgumentParser:
    from inspector.commands import COMMANDS

    parser = ArgumentParser(
        prog=PROG,
        description="Inspect, debug and train the Pix2Pix colorization GAN (U-Net + PatchGAN).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"{PROG} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `... | head`
        return 0
    except Exception as exc:  # a bug, or a user's model failing in a way no check foresaw: still one line
        if os.environ.get("PIX2PIX_DEBUG"):
            raise
        print(
            f"{PROG} {args.command}: error: {type(exc).__name__}: {_one_line(exc)} "
            "(set PIX2PIX_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
