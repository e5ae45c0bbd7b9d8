"""Startup to the first interactive frame: infra-tui versus a bare Textual hello-world.

Each round runs in a fresh interpreter (imports count), headless at 160x48. Two marks for
infra-tui: the first frame of the wizard (focus in the name field, keys accepted), and the frame
after the repo is loaded and its graph shown (the repo is read in a thread after the first frame). Budget (DESIGN.md): no slower than the bare app + 150 ms.

Usage: .venv/bin/python bench/bench_startup.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BARE = r"""
import time; t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        print(time.perf_counter() - t0); self.exit()
Hello().run(headless=True, size=(160, 48))
"""

INFRA = r"""
import sys, time; t0 = time.perf_counter()
from infra_tui.app import InfraApp
first = []
class Timed(InfraApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(lambda: first.append(time.perf_counter() - t0))
    CSS_PATH = str(__import__("pathlib").Path(__import__("infra_tui.app").app.__file__).with_name("app.tcss"))
    def repo_changed(self, repo):
        self.call_after_refresh(self.done)
    def done(self):
        print(first[0] if first else 0.0, time.perf_counter() - t0); self.exit()
Timed(sys.argv[1]).run(headless=True, size=(160, 48))
"""


def _time(code: str, *args: str) -> list[float]:
    # a real file: Textual resolves CSS_PATH relative to the app class's source file
    script = Path(tempfile.gettempdir()) / f"infra_tui_bench_{abs(hash(code))}.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, check=True).stdout
    return [float(x) for x in out.strip().splitlines()[-1].split()]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    from infra_tui.commands.demo import copy_demo

    root = copy_demo(Path(tempfile.mkdtemp()) / "demo-repo")
    _time(BARE), _time(INFRA, str(root))  # warm the OS caches and bytecode
    bare = [_time(BARE)[0] for _ in range(rounds)]
    runs = [_time(INFRA, str(root)) for _ in range(rounds)]
    wizard = [r[0] for r in runs]
    graph = [r[1] for r in runs]
    b = statistics.median(bare)
    print(f"bare Textual hello-world            median {b * 1000:4.0f} ms  (min {min(bare) * 1000:.0f})")
    for label, xs in (("infra-tui: wizard interactive", wizard), ("infra-tui: repo loaded, graph shown", graph)):
        m = statistics.median(xs)
        print(f"{label:35s} median {m * 1000:4.0f} ms  (min {min(xs) * 1000:.0f})  overhead {(m - b) * 1000:+.0f} ms (budget +150)")


if __name__ == "__main__":
    main()
