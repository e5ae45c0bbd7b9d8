"""Startup to the first interactive frame: `infra-tui` versus a bare Textual hello-world.

Each run is a fresh interpreter started on a real pseudo-terminal (160x48, TERM=xterm-256color),
so the terminal driver renders and writes every frame, as it does for a user. The clock starts
in this (parent) process just before the child is spawned, so interpreter start-up, `site`, the
console script's imports (`infra_tui.cli` and its command table) and the app's imports all
count; `time.perf_counter` is CLOCK_MONOTONIC, shared by both processes.

Marks, taken in the child right after a frame was written to the terminal:

- bare: the first frame of `Hello` (a `Static`).
- infra-tui, "wizard interactive": the first frame of the main screen with the keyboard focus in
  the wizard's name field (keys typed now land there).
- infra-tui, "repo loaded": the first frame after the repo was read, its graph laid out and the
  first preview shown (the repo is read in a thread after the first frame).

The child is the real entry point, `infra_tui.cli.main([])` run inside the repo (`infra-tui`); a small shim wraps
`App._display` (the method that writes a frame) to take the marks and exit. The same shim and
the same terminal time the bare app. Bytecode is compiled first (`compileall`, as `./run` does;
this environment sets PYTHONDONTWRITEBYTECODE, without which every run would recompile).

Budget (DESIGN.md): wizard interactive no slower than the bare app + 150 ms.

Usage: .venv/bin/python bench/bench_startup.py [ROUNDS]   (default 25)
"""

from __future__ import annotations

import compileall
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SHIM = r"""
import os, sys, time
mode, out_fd = sys.argv[1], int(sys.argv[-1])
marks = []

def report():
    os.write(out_fd, (" ".join(f"{t:.6f}" for t in marks) + "\n").encode())

import textual.app
original = textual.app.App._display

def _display(self, screen, renderable):
    original(self, screen, renderable)
    if renderable is None or self._batch_count or not self._running:
        return  # nothing was written
    if mode == "bare":
        marks.append(time.perf_counter()); report(); self.exit(); return
    if type(screen).__name__ != "MainScreen":
        return
    if not marks:
        focused = screen.focused
        if focused is not None and focused.id == "name" and not focused.disabled:
            marks.append(time.perf_counter())
    elif len(marks) == 1 and getattr(self, "repo", None) is not None and screen.preview_pane.preview is not None:
        marks.append(time.perf_counter()); report(); self.exit()

textual.app.App._display = _display

if mode == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Hello(App):
        def compose(self):
            yield Static("hello")

    Hello().run()
else:
    from infra_tui.cli import main
    main([])  # `infra-tui` with no arguments, run inside the repo
"""


def run_on_pty(argv: list[str], cwd: Path, cols: int = 160, rows: int = 48) -> tuple[float, bytes, int]:
    """Run ``argv + [FD]`` on a fresh pty; return (spawn time, what it wrote to FD, exit code)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    rfd, wfd = os.pipe()
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    env.pop("NO_COLOR", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, str(wfd)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        pass_fds=(wfd,),
        start_new_session=True,
        cwd=cwd,
    )
    os.close(slave)
    os.close(wfd)
    out = b""
    deadline = time.monotonic() + 60
    open_fds = {master, rfd}
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], 1)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the pty
                data = b""
            if not data:
                open_fds.discard(fd)
            elif fd == rfd:
                out += data
    proc.wait(timeout=30)
    os.close(master)
    os.close(rfd)
    return t0, out, proc.returncode


def _spawn(script: Path, mode: str, repo: str | None = None) -> list[float]:
    """The shim's marks, as seconds since just before the spawn."""
    t0, out, code = run_on_pty([sys.executable, str(script), mode], Path(repo) if repo else ROOT)
    if not out.strip():
        raise RuntimeError(f"{mode}: no marks (exit {code})")
    return [float(x) - t0 for x in out.split()]


def _stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return statistics.median(xs), p95


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    ok = compileall.compile_dir(ROOT / "infra_tui", quiet=1) and compileall.compile_dir(
        ROOT / "widgets", quiet=1
    )
    print(f"bytecode compiled (compileall): {'ok' if ok else 'FAILED'}")
    sys.path.insert(0, str(HERE))
    from generate_repo import generate

    from infra_tui.commands.demo import copy_demo

    tmp = Path(tempfile.mkdtemp(prefix="infra-tui-bench-"))
    repos = {
        "demo repo (39 components)": copy_demo(tmp / "demo-repo"),
        "generated, 40 components": generate(tmp / "gen40", 40),
    }
    script = tmp / "shim.py"
    script.write_text(SHIM)
    for _ in range(2):  # warm the OS caches
        _spawn(script, "bare")
        for repo in repos.values():
            _spawn(script, "infra", str(repo))
    # interleave the rounds so background load hits every kind alike
    bare: list[float] = []
    runs: dict[str, list[list[float]]] = {k: [] for k in repos}
    for _ in range(rounds):
        bare.append(_spawn(script, "bare")[0])
        for label, repo in repos.items():
            runs[label].append(_spawn(script, "infra", str(repo)))
    bm, bp = _stats(bare)
    print(f"{rounds} runs each, fresh process on a 160x48 pty; ms from spawn")
    print(f"{'bare Textual hello-world':52s} median {bm * 1000:5.0f}  p95 {bp * 1000:5.0f}")
    for label, rs in runs.items():
        for mark, i in (("wizard interactive", 0), ("repo loaded, graph shown", 1)):
            m, p = _stats([r[i] for r in rs])
            extra = f"  over bare {(m - bm) * 1000:+5.0f} (budget +150)" if i == 0 else ""
            print(f"{label + ': ' + mark:52s} median {m * 1000:5.0f}  p95 {p * 1000:5.0f}{extra}")


if __name__ == "__main__":
    main()
