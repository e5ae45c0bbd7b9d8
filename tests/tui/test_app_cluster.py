"""The TUI's Cluster tab over a REAL sshd (tests/sshd.py): first poll, painted graph, root cause,
errors and stale data with a live wizard, and no ssh process left after the app exits.

The app runs on a copy of the bundled demo repo with a ``.infra-tui.yaml`` pointing at the
fixture; the stand-in remote kubectl replays a status built from the repo's own Kustomizations.
Nothing here contacts any address but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from infra_tui.app import InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.core import repo as repo_mod
from infra_tui.core.trust import record_trust
from infra_tui.services.cluster import HR_RESOURCE, KS_RESOURCE
from infra_tui.services.ssh import check_allowed
from infra_tui.widgets.cluster_panel import ClusterPanel
from infra_tui.widgets.cluster_watch import ClusterWatch
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import settle, type_component, wait_for
from tests.processes import processes_naming
from tests.sshd import LOOPBACK

REV = "main@sha1:696f056df216eea4f9401adbee0ff744d4df390f"
CERT_MANAGER_FAILED = "health check failed after 5m0s: timeout waiting for: [Deployment/cert-manager/cert-manager status: 'InProgress']"
WAITING_FOR = {
    # a DependencyNotReady chain: local-cert-manager-config -> cert-manager-config -> cert-manager
    "cert-manager-config": "cert-manager",
    "local-cert-manager-config": "cert-manager-config",
    "linkerd": "cert-manager",
    "linkerd-config": "linkerd",
    "linkerd-viz": "linkerd",
}


def _condition(type_: str, status: str, reason: str, message: str) -> dict:
    return {
        "lastTransitionTime": "2025-01-01T00:00:00Z",
        "message": message,
        "observedGeneration": 1,
        "reason": reason,
        "status": status,
        "type": type_,
    }


def status_of(root: Path, env: str = "local-kube") -> dict:
    """``kubectl get kustomizations -A -o json`` for the repo's env, shaped as kustomize-controller
    writes it (tests/data/status/README.md): cert-manager fails its health check, five
    Kustomizations wait behind it (DependencyNotReady), everything else is Ready."""
    items = []
    for ks in repo_mod.load(root, with_components=False).env(env).kustomizations:
        spec = {
            "interval": "5m",
            "path": ks.path,
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        }
        if ks.depends_on_ids:
            spec["dependsOn"] = [{"name": d.rsplit("/", 1)[-1]} for d in ks.depends_on_ids]
        if ks.name == "cert-manager":
            conditions = [
                _condition(
                    "Reconciling", "True", "ProgressingWithRetry", f"Detecting drift for revision {REV}"
                ),
                _condition("Ready", "False", "HealthCheckFailed", CERT_MANAGER_FAILED),
                _condition("Healthy", "False", "HealthCheckFailed", CERT_MANAGER_FAILED),
            ]
        elif ks.name in WAITING_FOR:
            dep = WAITING_FOR[ks.name]
            conditions = [
                _condition(
                    "Ready", "False", "DependencyNotReady", f"dependency 'flux-system/{dep}' is not ready"
                )
            ]
        else:
            conditions = [_condition("Ready", "True", "ReconciliationSucceeded", f"Applied revision: {REV}")]
        items.append(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": ks.name, "namespace": ks.namespace, "generation": 1},
                "spec": spec,
                "status": {"conditions": conditions, "lastAttemptedRevision": REV, "observedGeneration": 1},
            }
        )
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


@pytest.fixture
def demo_root(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    return copy_demo(tmp_path / "demo-repo")


def write_settings(root: Path, server, *, host: str | None = None, poll_interval: str = "1s") -> None:
    text = (
        "clusters:\n"
        "  local-kube:\n"
        f"    host: {host or server.host}\n"
        f"    identity_file: {server.client_key}\n"
        f"    known_hosts_file: {server.known_hosts}\n"
        "    ssh_config: /dev/null\n"
        f"    poll_interval: {poll_interval}\n"
    )
    (root / ".infra-tui.yaml").write_text(text)
    record_trust(root / ".infra-tui.yaml", text.encode())  # the user trusted this file


def status_line(app) -> str:
    return str(app.screen.query_one(ClusterPanel).query_one("#cluster-status", Static).render())


def table_rows(app) -> dict[str, list[str]]:
    table = app.screen.query_one(ClusterPanel).query_one(DataTable)
    return {
        str(row[0]): [str(c) for c in row] for row in (table.get_row_at(i) for i in range(table.row_count))
    }


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@pytest.mark.sshd
async def test_cluster_tab_and_graph_over_ssh(demo_root: Path, sshd) -> None:
    sshd.replay(status_of(demo_root))
    write_settings(demo_root, sshd)
    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: table_rows(app), what="the first poll")
        # the Cluster tab: one row per Kustomization with state, age and message
        rows = table_rows(app)
        # 38 in infrastructure.yaml + gateway-api-crds-upstream, which gateway-api-crds deploys
        assert len(rows) == 39
        assert rows["cert-manager"][1] == "✗ failed"
        assert rows["cert-manager"][3] == CERT_MANAGER_FAILED  # brackets kept: not read as markup
        assert rows["local-cert-manager-config"][1] == "… waiting"
        assert (
            rows["local-cert-manager-config"][3]
            == "dependency 'flux-system/cert-manager-config' is not ready"
        )
        assert rows["cilium"][1] == "✓ ready" and rows["cilium"][2].endswith(("m", "h"))
        line = status_line(app)
        assert line.startswith(f"ssh://{sshd.user}@127.0.0.1:{sshd.port} · fetched ")
        assert "33 ready, 5 waiting, 1 failed" in line
        # the graph: states painted per node, the root cause follows the waiting chain
        view = app.screen.query_one(GraphView)
        assert view.states["flux-system/cert-manager"] == "failed"
        assert view.states["flux-system/local-cert-manager-config"] == "waiting"
        assert view.states["flux-system/cilium"] == "ready"
        banner = str(app.screen.query_one("#graph-banner", Static).render())
        assert (
            f"5 waiting <- flux-system/cert-manager: HealthCheckFailed: {CERT_MANAGER_FAILED}"[:100] in banner
        )
        shot = app.export_screenshot()
        assert "✗" in shot and "cert-manager" in shot
        await pilot.press("f6")
        await pilot.pause()
        assert app.main.preview_pane.active == "cluster"
    # only allow-listed reads crossed the transport: the polls, and the selected row's events
    calls = sshd.kubectl_calls()
    assert ["get", KS_RESOURCE, "-A", "-o", "json"] in calls and [
        "get",
        HR_RESOURCE,
        "-A",
        "-o",
        "json",
    ] in calls
    for argv in calls:
        check_allowed(["kubectl", *argv])
        assert argv[:2] == ["get", "events"] or argv[2:] == ["-A", "-o", "json"]


@pytest.mark.sshd
async def test_refused_host_shows_one_clear_line_and_the_wizard_stays_live(demo_root: Path, sshd) -> None:
    port = closed_port()
    write_settings(demo_root, sshd, host=f"{sshd.user}@127.0.0.1:{port}")
    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: "refused" in status_line(app), what="the refused connection")
        line = status_line(app)
        assert line.startswith(
            f"✗ ssh://{sshd.user}@127.0.0.1:{port}: connection to 127.0.0.1:{port} refused;"
        )
        assert "retry in" in line and "\n" not in line
        assert table_rows(app) == {}
        # meanwhile the wizard and its preview work as ever
        await type_component(pilot)
        assert "flux-system/redis-cache" in app.screen.query_one(GraphView).graph.nodes
        watch = app.screen.query_one(ClusterWatch)
        assert watch.state is not None and watch.state.failures >= 1 and watch.state.next_delay > 1


@pytest.mark.sshd
async def test_garbage_after_good_data_marks_it_stale(demo_root: Path, sshd) -> None:
    sshd.replay(status_of(demo_root))
    write_settings(demo_root, sshd, poll_interval="300ms")
    app = InfraApp(demo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: table_rows(app), what="the first poll")
        sshd.replay("<html>502 Bad Gateway</html>\n")
        await wait_for(pilot, lambda: "stale since" in status_line(app), what="the stale line")
        line = status_line(app)
        assert line.startswith("⚠ stale since ") and "is not JSON" in line and "showing data fetched" in line
        # the last good data stays on the table and the graph
        assert table_rows(app)["cert-manager"][1] == "✗ failed"
        assert app.screen.query_one(GraphView).states["flux-system/cert-manager"] == "failed"
        # and it recovers on the next good answer
        sshd.replay(status_of(demo_root))
        await wait_for(pilot, lambda: status_line(app).startswith("ssh://"), timeout=20, what="recovery")


@pytest.mark.sshd
def test_no_ssh_process_survives_app_exit(demo_root: Path, sshd) -> None:
    sshd.replay(status_of(demo_root))
    write_settings(demo_root, sshd)
    seen: dict[str, object] = {}

    async def run() -> None:
        app = InfraApp(demo_root, blink=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await wait_for(pilot, lambda: table_rows(app), what="the first poll")
            transport = app.screen.query_one(ClusterWatch).source.transport
            seen["dir"] = transport._control_dir  # noqa: SLF001 - where the ControlMaster socket lives
            seen["master"] = await transport.master_pid()
            seen["during"] = processes_naming(transport._control_dir)  # noqa: SLF001

    asyncio.run(run())
    control_dir = seen["dir"]
    assert isinstance(control_dir, str) and seen["master"], "a multiplexed master connection was up"
    assert seen["during"], "ssh processes name the control dir while polling"
    deadline = time.monotonic() + 5
    while processes_naming(control_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_naming(control_dir) == []
    assert not Path(control_dir).exists()
