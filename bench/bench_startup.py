"""Start-up as a user sees it: `infra-tui` in tmux against a bare Textual app, in one run.

Each start is a fresh process in a new tmux session of 160x48 (its own tmux server, so no user
config and no other session interferes), started by the same `new-session` command for both
apps. The clock starts in this process just before that command is sent, so tmux's spawn,
interpreter start-up, `site`, the console script's imports and the app's imports all count.
The pane is polled with `capture-pane` over one tmux control-mode connection (no process per
poll, so polling costs the apps little CPU):

- first frame: the first poll that finds anything but blanks in the pane;
- graph drawn (infra-tui only): the first poll whose pane shows the bootstrap graph's layers
  (the band of the first layer with its Kustomization and the band of the last layer: text only
  the graph shows).

The bare app is a tiny Textual app with three Inputs (the one of issue 12). infra-tui runs as
`infra-tui` (the installed console script) inside a 38-component flat repo in the brief's shape
(`tests/apprepo.make_repo`: its bootstrap order plus 7 generated components). Bytecode is
compiled first (`compileall`, as `./run` does; this environment sets PYTHONDONTWRITEBYTECODE,
without which every start would recompile). Runs are interleaved (bare, infra-tui, bare, ...) so
background load hits both alike; each process is gone before the next one starts.

Budget (DESIGN.md): first frame within +150 ms of the bare app, graph within +250 ms.

infra-tui is timed twice per round: "cold", with an empty cache folder (a first start, or a repo
changed since the last start: the graph waits for the repo to be read), and "warm", with the
graph the previous start kept (``core.graph_cache``: drawn while the repo is read again). The
repo's files are dated an hour back, as a repo not edited in the last two seconds is.

Usage: .venv/bin/python bench/bench_startup.py [RUNS] [--before DIR]   (RUNS default 15)
  --before DIR: also time another checkout of infra-tui (e.g. `git worktree add DIR main`) in the
  same rounds, started as the console script does with DIR first on sys.path: before and after
  under the same load.
"""

from __future__ import annotations

import compileall
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLS, ROWS = 160, 48

BARE_APP = """\
from textual.app import App
from textual.widgets import Input


class Bare(App):
    def compose(self):
        yield Input(id="name", placeholder="name")
        yield Input(id="chart", placeholder="chart")
        yield Input(id="url", placeholder="repo url")


Bare().run()
"""


class Tmux:
    """One private tmux server and a control-mode client on it: commands in, their output back."""

    def __init__(self) -> None:
        self.socket = f"infra-tui-bench-{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", "TMUX_PANE")}
        env["TERM"] = "xterm-256color"
        # the holder session keeps the server up between runs and hosts the control client
        base = ["tmux", "-L", self.socket, "-f", "/dev/null"]
        subprocess.run([*base, "new-session", "-d", "-s", "holder", "sleep 100000"], check=True, env=env)
        self.client = subprocess.Popen(
            [*base, "-C", "attach-session", "-t", "holder"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._block()  # the attach's own reply
        self.cmd("set-option -g default-terminal tmux-256color")

    def cmd(self, line: str, *, check: bool = True) -> list[str]:
        assert self.client.stdin is not None
        self.client.stdin.write(line.encode() + b"\n")
        self.client.stdin.flush()
        return self._block(check)

    def _block(self, check: bool = True) -> list[str]:
        """The lines between ``%begin`` and ``%end`` (notifications outside a block are skipped)."""
        assert self.client.stdout is not None
        out: list[str] = []
        inside = False
        while True:
            raw = self.client.stdout.readline()
            if not raw:
                raise RuntimeError("the tmux control client ended")
            line = raw.decode(errors="replace").rstrip("\n")
            if not inside:
                inside = line.startswith("%begin")
                continue
            if line.startswith(("%end", "%error")):
                if line.startswith("%error") and check:
                    raise RuntimeError(f"tmux: {' '.join(out)}")
                return out
            out.append(line)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self.client.wait(timeout=10)


def _quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def start(
    tmux: Tmux,
    session: str,
    argv: list[str],
    cwd: Path,
    graph_marks: list[str] | None,
    env: dict[str, str] | None = None,
) -> list[float]:
    """Seconds from the ``new-session`` command to the first frame (and to the graph, if marked)."""
    t0 = time.perf_counter()
    tmux.cmd(
        f"new-session -d -s {session} -x {COLS} -y {ROWS} -c {_quote(str(cwd))} "
        + "".join(f"-e {_quote(f'{k}={v}')} " for k, v in (env or {}).items())
        + " ".join(_quote(a) for a in argv)
    )
    pid = int(tmux.cmd(f"display-message -p -t {session} '#{{pane_pid}}'")[0])
    marks: list[float] = []
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        screen = "\n".join(tmux.cmd(f"capture-pane -p -t {session}"))
        now = time.perf_counter()
        if not marks and screen.strip():
            marks.append(now - t0)
        if marks and (graph_marks is None or all(m in screen for m in graph_marks)):
            if graph_marks is not None:
                marks.append(now - t0)
            break
        time.sleep(0.002)
    else:
        raise RuntimeError(f"{argv}: nothing (or no graph) on screen after 30 s; last screen:\n{screen}")
    stop(tmux, session, pid)
    return marks


def stop(tmux: Tmux, session: str, pid: int, timeout: float = 10.0) -> None:
    """Quit with ctrl+q while the terminal is still there, and wait until the process is gone, so
    the next start has the CPU to itself."""
    from tests.processes import wait_dead

    tmux.cmd(f"send-keys -t {session} C-q")
    if not wait_dead([pid], within=timeout):
        os.kill(pid, signal.SIGKILL)
        print(f"  (pid {pid} did not quit on ctrl+q within {timeout:.0f} s: killed)")
    tmux.cmd(f"kill-session -t {session}", check=False)  # already gone with its process, normally


def stats(xs: list[float]) -> tuple[float, float]:
    """Median and p95 (nearest rank)."""
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def graph_marks(repo: Path) -> list[str]:
    """Text only the drawn graph shows: the first layer's band with its first Kustomization, and
    the last layer's band."""
    from infra_tui.core import graph
    from infra_tui.core import repo as repo_mod

    g = graph.build(repo_mod.load(repo).env(None))
    first = g.layers[0][0].rsplit("/", 1)[-1]
    return [f"L0 {first}", f"L{len(g.layers) - 1} "]


def main() -> None:
    args = sys.argv[1:]
    before = None
    if "--before" in args:  # another checkout of infra-tui (e.g. main before a change), timed alike
        i = args.index("--before")
        before = Path(args[i + 1]).resolve()
        del args[i : i + 2]
    runs = int(args[0]) if args else 15
    trees = [ROOT, *([before] if before else [])]
    ok = all(compileall.compile_dir(t / d, quiet=1) for t in trees for d in ("infra_tui", "widgets"))
    print(f"bytecode compiled (compileall): {'ok' if ok else 'FAILED'}")
    sys.path.insert(0, str(ROOT))
    from tests.apprepo import make_repo

    tmp = Path(tempfile.mkdtemp(prefix="infra-tui-bench-"))
    repo = make_repo(tmp / "repo", extra=7)
    an_hour_ago = time.time_ns() - 3600 * 10**9  # a repo written just now is "racy": no kept graph
    for path in [*repo.rglob("*"), repo]:
        os.utime(path, ns=(an_hour_ago, an_hour_ago), follow_symlinks=False)
    marks = graph_marks(repo)
    bare_script = tmp / "bare.py"
    bare_script.write_text(BARE_APP)
    python = str(Path(sys.executable))
    script = [str(Path(sys.executable).with_name("infra-tui"))]
    # "cold": an empty cache folder each start (a first start, or a repo changed since the last
    # one); "warm": the graph the previous start kept (core.graph_cache), the repo unchanged
    warm_cache = tmp / "cache-warm"
    apps: dict[str, tuple[list[str], Callable[[], dict[str, str]]]] = {
        "cold": (script, lambda: {"INFRA_TUI_CACHE_DIR": tempfile.mkdtemp(dir=tmp, prefix="cache-")}),
        "warm": (script, lambda: {"INFRA_TUI_CACHE_DIR": str(warm_cache)}),
    }
    if before:  # the console script's two lines, with the other checkout first on the path
        code = f"import sys; sys.path.insert(0, {str(before)!r}); from infra_tui.cli import main; sys.exit(main())"
        apps = {"before": ([python, "-c", code], apps["cold"][1]), **apps}
    tmux = Tmux()
    bare: list[float] = []
    timed: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in apps}
    try:
        for i in range(-2, runs):  # two rounds to warm the OS caches, not counted
            b = start(tmux, f"bare{i + 2}", [python, str(bare_script)], tmp, None)
            if i >= 0:
                bare.append(b[0])
            for name, (argv, env) in apps.items():
                f, d = start(tmux, f"{name}{i + 2}", argv, repo, marks, env())
                if i >= 0:
                    timed[name][0].append(f)
                    timed[name][1].append(d)
    finally:
        tmux.close()
    bm, bp = stats(bare)
    print(
        f"{runs} runs each, interleaved; fresh process in a new tmux session {COLS}x{ROWS};"
        f" ms from `tmux new-session`; repo: 38 Kustomizations (tests/apprepo, flat); graph marks {marks}"
    )
    print(
        f"{'bare Textual app (three Inputs): first frame':46s} median {bm * 1000:5.0f}  p95 {bp * 1000:5.0f}"
    )
    for name, (first, drawn) in timed.items():
        for label, xs, budget in (("first frame", first, 150), ("graph drawn", drawn, 250)):
            m, p = stats(xs)
            print(
                f"{name + ': ' + label:46s} median {m * 1000:5.0f}  p95 {p * 1000:5.0f}"
                f"  vs bare: median {(m - bm) * 1000:+5.0f}  p95 {(p - bp) * 1000:+5.0f}  (budget +{budget})"
            )


if __name__ == "__main__":
    main()
