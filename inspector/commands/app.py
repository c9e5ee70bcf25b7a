"""``pix2pix-inspector app``: start the Streamlit app."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
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
    limits = p.add_argument_group(
        "a class on one server",
        "what a teacher allows the Train page of every student (also read from PIX2PIX_MAX_STEPS, "
        "PIX2PIX_MAX_SIZE, PIX2PIX_MAX_RUNS, PIX2PIX_THREADS_PER_RUN and PIX2PIX_RAY)",
    )
    limits.add_argument(
        "--max-steps", type=int, metavar="N", help="the most steps a run may ask for (default 20000)"
    )
    limits.add_argument(
        "--max-size", type=int, metavar="PX", help="the largest image side a run may use (default 512)"
    )
    limits.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        help="runs that train at once (default: what the device has room for)",
    )
    limits.add_argument(
        "--threads-per-run", type=int, metavar="N", help="CPU threads of each run (default 1)"
    )
    limits.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="train the runs on a Ray cluster: auto (this machine's, after `ray start --head`), "
        "ray://HOST:10001, or local (a Ray instance inside the app); needs the cluster extra",
    )
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="passed on to `streamlit run`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inspector.errors import UserError
    from inspector.runqueue.budget import ClassLimits
    from inspector.shapes.loader import MODELS_ENV

    env = dict(os.environ)
    env.pop(MODELS_ENV, None)  # only --models turns the folder on
    limits = ClassLimits.from_env(env)  # the environment's, with the flags on top (checked here)
    flags = {
        "max_steps": args.max_steps,
        "max_size": args.max_size,
        "max_runs": args.max_runs,
        "threads_per_run": args.threads_per_run,
        "ray_address": args.ray,
    }
    limits = replace(limits, **{k: v for k, v in flags.items() if v is not None})
    env.update(limits.to_env())
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


def wait_until_healthy(
    url: str, proc: subprocess.Popen[bytes], timeout_s: float, poll_s: float = 0.3
) -> bool:
    """Wait for the Streamlit server at ``url`` (started as ``proc``) to answer its health check:
    True once it does, False when ``proc`` exits or ``timeout_s`` passes first. The one wait of
    the browser tests, the class bench and the gallery tool."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(poll_s)
