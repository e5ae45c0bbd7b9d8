"""Pilot tests of the TUI's flows on a small flat repo (tests/apprepo.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.widgets import Button, SelectionList, Static

from infra_tui.app import InfraApp
from infra_tui.screens.modals import HelpScreen, WriteConfirmScreen
from infra_tui.widgets.diff_view import DiffView
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import confirm_write, make_repo, settle, type_component


def snapshot_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "demo-repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        check=True,
    )
    return root


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_typing_a_component_updates_graph_and_diff(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        assert "flux-system/redis-cache" not in view.graph.nodes
        await type_component(pilot)
        assert "flux-system/redis-cache" in view.graph.nodes
        assert view.selected == "flux-system/redis-cache"
        assert "+redis-cache" in text_of(app, "#graph-banner")
        diffs = app.main.preview_pane.preview.diffs
        paths = [d.path for d in diffs]
        assert "namespaces/redis-cache/helm-release.yaml" in paths
        assert "clusters/local-kube/infrastructure.yaml" in paths
        await pilot.press("f3")
        await pilot.pause()
        body = str(app.screen.query_one(DiffView).query_one("#diff-body", Static).render())
        assert "+  name: redis-cache" in body
        assert app.screen.query_one("#write", Button).disabled is False
        # the summary follows
        assert "redis-cache" in app.main.preview_pane.preview.summary


async def test_created_kind_infers_its_provider_with_reason(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        creates = app.screen.query_one("#creates", SelectionList)
        creates.select("CiliumNetworkPolicy")
        await type_component(pilot, name="dns-guard")
        preview = app.main.preview_pane.preview
        assert preview.inferred.get("flux-system/cilium") == "CiliumNetworkPolicy"
        view = app.screen.query_one(GraphView)
        assert view.graph.layer["flux-system/dns-guard"] == view.graph.layer["flux-system/cilium"] + 1
        assert "cilium ← CiliumNetworkPolicy" in text_of(app, "#graph-banner")


async def test_invalid_name_shows_inline_error_and_blocks_writing(repo_root: Path) -> None:
    before = snapshot_tree(repo_root)
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_component(pilot, name="Redis_Cache")
        error = app.screen.query_one("#name-error", Static)
        assert error.has_class("-shown")
        assert "DNS-1123" in str(error.render())
        assert app.screen.query_one("#name").has_class("-invalid")
        assert app.screen.query_one("#write", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, WriteConfirmScreen)
    assert snapshot_tree(repo_root) == before


async def test_existing_name_is_refused_in_place(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_component(pilot, name="cilium")
        assert "already exists" in str(app.screen.query_one("#name-error", Static).render())
        assert app.screen.query_one("#write", Button).disabled


async def test_write_puts_exactly_the_plans_files_on_disk(repo_root: Path) -> None:
    before = snapshot_tree(repo_root)
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_component(pilot)
        plan = app.main.preview_pane.preview.plan
        await confirm_write(pilot)
        status = app.screen.git_status
        assert "?? namespaces/redis-cache/" in status
        assert " M clusters/local-kube/infrastructure.yaml" in status
        await pilot.press("escape")
        await settle(pilot)
        # the form is empty again and the repo was re-read with the new component in it
        assert app.main.form.state.fields["name"] == ""
        assert "flux-system/redis-cache" in app.screen.query_one(GraphView).graph.nodes
    after = snapshot_tree(repo_root)
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed == {f.path for f in plan.files}
    for f in plan.files:
        assert after[f.path].decode() == f.after
    assert set(before) <= set(after)


async def test_cancel_writes_nothing(repo_root: Path) -> None:
    before = snapshot_tree(repo_root)
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_component(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, WriteConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WriteConfirmScreen)
    assert snapshot_tree(repo_root) == before


async def test_values_parse_error_is_shown_under_the_editor(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await type_component(pilot)
        app.screen.query_one("#values").text = "replicas: 2\nresources: [\n"
        await settle(pilot)
        error = str(app.screen.query_one("#values-error", Static).render())
        assert "line" in error
        assert app.screen.query_one("#write", Button).disabled


async def test_graph_keyboard_selection_filter_and_neighbourhood(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        view = app.screen.query_one(GraphView)
        assert view.has_focus
        view.select("cilium")
        await pilot.pause()
        details = text_of(app, "#graph-details")
        assert "blast radius" in details and "cilium-config" in details
        await pilot.press("f")
        await pilot.pause()
        shown = view.shown_nodes
        assert "flux-system/redis" not in shown and "flux-system/linkerd" in shown
        await pilot.press("escape", "slash", *"kyv")
        await pilot.pause()
        shown = view.shown_nodes
        assert shown == {
            "flux-system/kyverno",
            "flux-system/kyverno-config",
            "flux-system/kyverno-monitoring",
        }
        await pilot.press("enter", "right")
        assert view.has_focus
        assert view.selected in shown


async def test_help_palette_and_theme(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"show diff")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.preview_pane.active == "diff"


async def test_summary_copy_uses_osc52(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_component(pilot)
        await pilot.press("ctrl+y")
        assert "redis-cache" in app.clipboard
