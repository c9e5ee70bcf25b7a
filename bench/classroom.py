"""A class on one server: ``python bench/classroom.py --students 30 --lang ko``

N students open the app at the same moment, page after page, as websocket clients that speak
Streamlit's own protocol (no browser): each student is one session (one websocket), and a page
view is the browser's ``BackMsg.rerun_script`` with the page's url path and the query string
(``lang=ko``), answered when the server says ``script_finished``. All N ask for a page together,
wait until every one is served, then all go on to the next page: what a teacher's "open Skip
connections" does to the server.

Each page is visited ``--rounds`` times (default 2): the first round fills the caches, the last
is the one reported (every student's view of a page whose data is cached). For each page it
prints the p50 / p95 / max wall time of a view, the server's CPU per view (the process's user +
system time over the round, divided by the views) and the exception boxes the page showed (a
failing page is a failure of the bench: exit 1). At the end: the server's resident memory.

It starts its own server (``streamlit run streamlit_app.py`` on a free port, a temporary runs
folder) unless ``--url`` names one; CPU and memory are measured only for a server it started or
one named by ``--pid``.

``--train K`` has K of the students press Start on the Train page together (the defaults: a
short CPU run each) before the pages are visited, and waits until every one of them is queued or
training: the page views are then measured while those runs train.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: TID251 (the bench speaks Streamlit's protocol)
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from inspector.commands.app import wait_until_healthy  # noqa: E402
from inspector.ui.page_registry import PAGES  # noqa: E402 (after the path is set)

VIEW_TIMEOUT_S = 120.0
# How a page's run ends. A run that ends early for a rerun (st.rerun, a newer request) is followed
# by the one that draws the page; a fragment's own rerun (the progress line polls) ends with
# another status.
PAGE_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class View:
    """One page view of one student: wall seconds, and the exception boxes it showed."""

    seconds: float
    exceptions: list[str] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)  # widget id -> label, for --train
    progress: list[str] = field(default_factory=list)  # the texts of its progress bars
    messages: int = 0  # ForwardMsgs the server sent for this view
    bytes: int = 0


class Student:
    """One browser session: a websocket to ``/_stcore/stream`` that asks for pages."""

    def __init__(self, url: str, query: str) -> None:
        self.url, self.query = url.rstrip("/"), query
        self.ws: websockets.ClientConnection | None = None

    async def connect(self) -> None:
        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            origin=self.url,
            open_timeout=60,
            ping_interval=None,  # a busy server answers pings late; the views have their own timeout
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def view(self, page: str, triggers: Sequence[str] = ()) -> View:
        """Ask for ``page`` (its url path) and read until the script has finished; ``triggers``
        are the ids of buttons pressed in this run (a button is a trigger widget)."""
        assert self.ws is not None
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_name = self.query, page
        state.context_info.url = f"{self.url}/{page}?{self.query}"
        for wid in triggers:
            w = state.widget_states.widgets.add()
            w.id, w.trigger_value = wid, True
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        view = View(0.0)
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), VIEW_TIMEOUT_S)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            view.messages += 1
            view.bytes += len(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    view.exceptions.append(f"{element.exception.type}: {element.exception.message}")
                elif which == "button":
                    view.buttons[element.button.id] = element.button.label
                elif which == "progress":
                    view.progress.append(element.progress.text)
            elif kind == "script_finished" and fwd.script_finished in PAGE_DONE:
                view.seconds = time.perf_counter() - start
                return view


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(runs_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """A ``streamlit run streamlit_app.py`` of this checkout on a free port: (url, pid)."""
    port = free_port()
    env = {**os.environ, "PIX2PIX_RUNS_DIR": str(runs_dir), **(extra_env or {})}
    log = open(runs_dir.parent / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        if not wait_until_healthy(url, proc, 90):
            raise RuntimeError(f"the server did not start: see {runs_dir.parent / 'server.log'}")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@dataclass
class PageFigures:
    page: str
    views: list[View]
    cpu_ms_per_view: float | None

    def seconds(self) -> list[float]:
        return sorted(v.seconds for v in self.views)

    def p(self, q: float) -> float:
        s = self.seconds()
        return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]

    @property
    def exceptions(self) -> list[str]:
        return [e for v in self.views for e in v.exceptions]


async def visit_all(students: list[Student], page: str, pid: int | None) -> PageFigures:
    """Every student asks for ``page`` at the same moment."""
    before = cpu_seconds(pid) if pid else None
    views = await asyncio.gather(*(s.view(page) for s in students))
    cpu = (cpu_seconds(pid) - before) * 1000 / len(views) if pid and before is not None else None
    return PageFigures(page, list(views), cpu)


START_KEY = "train.start_btn"  # the Train page's Start button (its widget id ends with its key)


async def press_start(students: list[Student]) -> list[View]:
    """Each student opens the Train page and presses Start, all together; returns the views that
    followed (each should show the student's own run in its progress line)."""
    first = await asyncio.gather(*(s.view("train") for s in students))
    ids = []
    for v in first:
        start = next((wid for wid in v.buttons if wid.endswith(START_KEY)), None)
        if start is None:
            raise RuntimeError(f"no Start button on the Train page (buttons: {sorted(v.buttons.values())})")
        ids.append(start)
    await asyncio.gather(*(s.view("train", [wid]) for s, wid in zip(students, ids)))
    return list(await asyncio.gather(*(s.view("train") for s in students)))  # after the rerun Start asks for


async def classroom(
    url: str, pid: int | None, n: int, lang: str, pages: Sequence[str], rounds: int, train: int = 0
) -> list[PageFigures]:
    langs = lang.split(",")  # "ko,en": the students alternate
    students = [Student(url, f"lang={langs[i % len(langs)]}") for i in range(n)]
    await asyncio.gather(*(s.connect() for s in students))
    try:
        if train:
            for i, v in enumerate(await press_start(students[:train])):
                if v.exceptions:
                    raise RuntimeError(f"Start showed an exception: {v.exceptions}")
                mine = [t for t in v.progress if t.startswith(("Run ", "실행 "))]
                print(
                    f"student {i + 1} after Start: {mine[0] if mine else 'no run of its own!'}",
                    file=sys.stderr,
                )
        figures: list[PageFigures] = []
        for r in range(rounds):
            for page in pages:
                f = await visit_all(students, page, pid)
                print(f"round {r + 1}: {page} p95 {f.p(0.95):.2f} s", file=sys.stderr, flush=True)
                if r == rounds - 1:
                    figures.append(f)
        return figures
    finally:
        await asyncio.gather(*(s.close() for s in students))


def table(figures: list[PageFigures], n: int, lang: str) -> str:
    lines = [
        f"{n} students, lang={lang}: every page at once, the last round (caches warm)",
        "",
        "| page | p50 | p95 | max | server CPU per view | exceptions |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        cpu = f"{f.cpu_ms_per_view:.0f} ms" if f.cpu_ms_per_view is not None else "-"
        lines.append(
            f"| {f.page} | {f.p(0.5):.2f} s | {f.p(0.95):.2f} s | {f.seconds()[-1]:.2f} s | {cpu} | "
            f"{len(f.exceptions)} |"
        )
    return "\n".join(lines)


def run_states(runs: Path) -> str:
    """How the runs of the folder stand: "finished 2, running 1" (the bench's own server's folder)."""
    from inspector.runqueue.status import read_status

    states = [read_status(p.parent) for p in runs.glob("*/status.json")]
    counts: dict[str, int] = {}
    for status in states:
        if status is not None:
            counts[status.state] = counts.get(status.state, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--lang", default="ko", help="ko, en, or ko,en (the students alternate)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", nargs="*", help="url paths (default: every page of the registry)")
    ap.add_argument("--train", type=int, default=0, help="students who press Start first")
    ap.add_argument("--url", help="an app already running (default: start one)")
    ap.add_argument("--pid", type=int, help="that app's process id, to measure its CPU and memory")
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for the server it starts (e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=true "
        "to measure a setting of .streamlit/config.toml; PIX2PIX_MAX_RUNS=2)",
    )
    args = ap.parse_args(argv)
    pages = args.pages or [p.id for p in PAGES]

    def run(url: str, pid: int | None) -> int:
        figures = asyncio.run(classroom(url, pid, args.students, args.lang, pages, args.rounds, args.train))
        print(table(figures, args.students, args.lang))
        if pid:
            print(f"\nserver resident memory: {resident_mb(pid):.0f} MB")
        bad = [(f.page, e) for f in figures for e in f.exceptions]
        for page, e in bad[:10]:
            print(f"exception on {page}: {e}", file=sys.stderr)
        return 1 if bad else 0

    if args.url:
        return run(args.url, args.pid)
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        extra = dict(item.split("=", 1) for item in args.server_env)
        with serve(runs, extra) as (url, pid):
            code = run(url, pid)
            if args.train:
                print(f"runs after the pages: {run_states(runs)}")
            return code


if __name__ == "__main__":
    sys.exit(main())
