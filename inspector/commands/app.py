"""``pix2pix-inspector app``: start the Streamlit app."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from inspector.commands.common import output_folder, port_number

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="start the Streamlit app (http://localhost:8501)",
        description="Start the Streamlit app; extra arguments go to `streamlit run`.",
    )
    p.add_argument(
        "--port", type=port_number, default=8501, help="port to serve on, 1 to 65535 (default: 8501)"
    )
    p.add_argument(
        "--runs",
        type=Path,
        default=None,
        metavar="DIR",
        help="the runs folder: where the Train page keeps every run (default: $PIX2PIX_RUNS_DIR, else "
        "$XDG_DATA_HOME/pix2pix-inspector/runs or ~/.local/share/pix2pix-inspector/runs)",
    )
    p.add_argument(
        "--models",
        metavar="DIR",
        help="list the model files of DIR on the Mismatch doctor page (off by default: importing a "
        "file runs its code, so only you, starting the app, can name the folder)",
    )
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="passed on to `streamlit run`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.errors import UserError
    from inspector.shapes.loader import MODELS_ENV

    env = dict(os.environ)
    env.pop(MODELS_ENV, None)  # only --models turns the folder on
    if args.runs is not None:  # the app reads it through inspector.training.runs.default_runs_dir
        env["PIX2PIX_RUNS_DIR"] = str(output_folder(args.runs).resolve())
    if args.models:
        folder = Path(args.models).expanduser().resolve()
        if not folder.is_dir():
            raise UserError(f"--models {args.models}: no such folder")
        env[MODELS_ENV] = str(folder)
    if not APP.exists():
        raise FileNotFoundError(f"streamlit_app.py not found at {APP} (the app runs from a source checkout)")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        *args.streamlit_args,
    ]
    return subprocess.call(cmd, cwd=APP.parent, env=env)
