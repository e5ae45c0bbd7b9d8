"""The Checks tab: background validation of the wizard's plan with the real kustomize (or
``kubectl kustomize``), one row per affected component, stale runs cancelled and killed, and the
summary's "Validation Results" filled from the run."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerState

from infra_tui.app import InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.services import kustomize
from infra_tui.widgets.summary_view import SummaryView
from infra_tui.widgets.validation_panel import ValidationPanel
from tests.apprepo import settle, type_component, type_into
from tests.apprepo import wait_for as _wait_for
from tests.processes import dead, processes_naming

pytestmark = pytest.mark.skipif(
    kustomize.kubectl_path() is None and shutil.which("kustomize") is None,
    reason="neither kubectl (kubectl kustomize) nor kustomize is installed",
)

SLOW_KUSTOMIZE = """#!{python}
# A real build, delayed by the number of seconds in ./delay: makes a stale run observable.
import os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "started.log"), "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
with open(os.path.join(here, "delay")) as f:
    delay = float(f.read().strip() or 0)
with open(os.path.join(here, "sleeping.log"), "a") as log:  # read its delay: a later one does not count
    log.write(f"{{os.getpid()}} {{delay}}\\n")
time.sleep(delay)
argv = {argv!r}
os.execv(argv[0], argv + sys.argv[2:])  # drop "build": the real prefix says it
"""


@pytest.fixture
def demo_root(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INFRA_TUI_KUSTOMIZE", raising=False)
    return copy_demo(tmp_path / "demo-repo")


async def append_to(pilot, selector: str, text: str) -> None:
    """Type at the end of a field (focusing an Input selects its text)."""
    await type_into(pilot, selector, "")
    await pilot.press("end", *text)


def wait_for(pilot, condition, timeout: float = 30.0, what: str = "condition"):
    return _wait_for(pilot, condition, timeout, what)


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(ValidationPanel).query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def status(app) -> str:
    return str(app.screen.query_one(ValidationPanel).query_one("#validation-status", Static).render())


async def test_checks_tab_rows_per_component_and_summary(demo_root: Path) -> None:
    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.screen.query_one("#sm").value = True  # a ServiceMonitor: the -monitoring split
        await type_component(pilot)
        await wait_for(pilot, lambda: "validated" in status(app), what="the validation run")
        found = {r[0]: r for r in rows(app)}
        assert sorted(found) == ["namespaces/redis-cache", "namespaces/redis-cache-monitoring"]
        for component, row in found.items():
            assert row[1] == "offline", (component, row)  # no cluster configured: the offline check alone
            assert row[2] == "pass", (component, row)
            assert row[3] in ("pass", "expected-missing-crd"), (component, row)
            assert row[4].endswith("s")
        assert status(app).startswith("2 components validated in ") and status(app).endswith("· 0 failed")
        # the summary's Validation Results come from this run
        summary = app.main.preview_pane.preview.summary
        results = summary.split("### Validation Results", 1)[1]
        assert "Kustomize build `namespaces/redis-cache`: ✅ PASS" in results
        assert "Kustomize build `namespaces/redis-cache-monitoring`: ✅ PASS" in results
        assert "not run yet" not in results
        assert app.screen.query_one(SummaryView).markdown == summary
        assert app.main.preview_pane.preview.plan.validation.results[0].component == "namespaces/redis-cache"
        await pilot.press("f5")
        await pilot.pause()
        assert app.main.preview_pane.active == "checks"


async def test_a_new_edit_cancels_the_stale_run_and_kills_its_processes(
    demo_root: Path, tmp_path: Path, monkeypatch
) -> None:
    real = kustomize.kustomize_argv()
    hook = tmp_path / "slow-kustomize"
    hook.mkdir()
    wrapper = hook / "kustomize"
    wrapper.write_text(SLOW_KUSTOMIZE.format(python=sys.executable, argv=real))
    wrapper.chmod(0o755)
    (hook / "delay").write_text("60")
    monkeypatch.setenv("INFRA_TUI_KUSTOMIZE", str(wrapper))
    started = hook / "started.log"

    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_into(pilot, "#name", "redis-cache")
        await type_into(pilot, "#chart", "redis")
        await type_into(pilot, "#repo-url", "https://charts.bitnami.com/bitnami")

        # the first run is in flight: its builds sleep in the wrapper
        def running() -> list:
            return [w for w in app.workers if w.group == "validation" and w.state == WorkerState.RUNNING]

        def sleeping_long() -> bool:
            """A build lives that read the long delay (one that started but has not read it yet
            would read the delay written below, finish at once and end its run before the edit)."""
            log = hook / "sleeping.log"
            lines = log.read_text().split() if log.exists() else []
            pids = {
                int(pid) for pid, delay in zip(lines[::2], lines[1::2], strict=True) if float(delay) >= 60
            }
            return any(not dead(pid) for pid in pids)

        # (on a slow machine a run may start between two fields and be cancelled by the next one:
        # wait for the run of the complete plan, with its builds sleeping)
        await wait_for(pilot, lambda: len(running()) == 1 and sleeping_long(), what="the first build")
        stale = running()
        assert len(stale) == 1
        assert "validating" in status(app)
        # a new edit: the stale run is cancelled at once, its processes killed
        (hook / "delay").write_text("0")
        await append_to(pilot, "#name", "x")
        await wait_for(pilot, lambda: stale[0].state == WorkerState.CANCELLED, what="the stale run's cancel")
        await wait_for(
            pilot, lambda: not processes_naming(str(hook)), timeout=10, what="the stale builds to die"
        )
        # the new plan's run completes with its own rows only
        await wait_for(pilot, lambda: "validated" in status(app), what="the new run")
        assert [r[0] for r in rows(app)] == ["namespaces/redis-cachex"]
        assert rows(app)[0][1:3] == ["offline", "pass"]
        assert "redis-cachex" in started.read_text()
        # leave a run in flight at exit
        (hook / "delay").write_text("60")
        await append_to(pilot, "#name", "y")
        await wait_for(pilot, lambda: "redis-cachexy" in started.read_text(), what="a run in flight at exit")
        scratch = {
            part
            for line in started.read_text().splitlines()
            for part in line.split()
            if "infra-tui-scratch-" in part
            or "infra-tui-build-" in part  # offline builds go through a wrapper dir
        }
    assert scratch
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        processes_naming(str(hook)) or any(processes_naming(s.split("/namespaces/")[0]) for s in scratch)
    ):
        time.sleep(0.05)
    assert processes_naming(str(hook)) == []
    for s in scratch:
        assert processes_naming(s.split("/namespaces/")[0]) == []


@pytest.mark.sshd
async def test_checks_tab_runs_the_ssh_dry_run_beside_the_offline_one(demo_root: Path, sshd) -> None:
    """With the env's cluster configured, each component gets an offline row and an ssh row: the
    manifests go to the control plane's kubectl as ``apply --dry-run=server`` on stdin."""
    from tests.tui.test_app_cluster import status_of, write_settings

    sshd.replay(status_of(demo_root))
    write_settings(demo_root, sshd)
    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_component(pilot)
        await wait_for(pilot, lambda: "ssh dry-run:" in status(app), timeout=60, what="the ssh dry-run")
        labelled = sorted((r[0], r[1], r[3]) for r in rows(app))
        assert labelled == [
            ("namespaces/redis-cache", "offline", "pass"),
            ("namespaces/redis-cache", "ssh", "pass"),
        ]
        assert status(app).endswith("ssh dry-run: 0 failed")
    applies = [c for c in sshd.kubectl_calls() if "apply" in c]
    assert applies and all("--dry-run=server" in c for c in applies)
    sent = sshd.last_stdin()
    assert sent is not None and b"name: redis-cache" in sent and b"config.kubernetes.io/origin" not in sent
