"""The cockpit under Pilot: browse, edit (version, values, dependsOn, monitoring split), findings
and fixes, remove, and the demo replaying what an edit wrote. On copies of the bundled demo repo."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from infra_tui.app import DemoApp, InfraApp
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.screens.browser import ComponentsScreen
from infra_tui.screens.edit import EditScreen
from infra_tui.screens.findings import FindingsScreen
from infra_tui.screens.modals import WriteConfirmScreen, WrittenScreen
from infra_tui.widgets.component_form import DependencyPicker
from infra_tui.widgets.edit_form import EditForm
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import wait_for
from tests.paths import DEMO
from tests.unit.test_lint_fix_cli import seeded


def git_init(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return git_init(root)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


async def edit_settled(pilot) -> EditScreen:
    """The edit screen is loaded and its preview (and the form's verdict) match the fields."""
    app = pilot.app

    def ready() -> bool:
        s = app.screen
        if not isinstance(s, EditScreen) or not s.query(EditForm) or s.form.current is None:
            return False
        pane, form = s.preview_pane, s.form
        return (
            not pane.busy
            and pane.preview is not None
            and pane.preview.fields == form.state.fields
            and form._preview is pane.preview  # noqa: SLF001 - the form has seen it
        )

    await wait_for(pilot, ready, timeout=30, what="the edit preview")
    await pilot.pause()
    return app.screen


async def replace_input(pilot, selector: str, text: str) -> None:
    """Empty an input and type ``text`` key by key."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*text)


async def write_it(pilot) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, WriteConfirmScreen), what="the confirmation")
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, WrittenScreen), timeout=30, what="the write")


def recreate_text(screen: EditScreen) -> str:
    return str(screen.query_one("#recreate", Static).render())


async def test_open_from_the_browser_and_bump_the_version(demo: Path) -> None:
    hr = demo / "namespaces/redis/helm-release.yaml"
    before = hr.read_text()
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        await pilot.press("f8")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ComponentsScreen) and app.screen.rows, what="rows"
        )
        browser = app.screen
        assert [r.layer for r in browser.rows] == sorted(r.layer for r in browser.rows)
        await pilot.press("slash", *"redis")
        await pilot.pause()
        assert browser.shown[0].name == "redis"
        await pilot.press("enter")
        screen = await edit_settled(pilot)
        assert screen.query_one("#version", Input).value == "20.x"
        assert str(screen.query_one("#form-status", Static).render()).startswith("nothing changed")
        await replace_input(pilot, "#version", "21.x")
        screen = await edit_settled(pilot)
        (diff,) = screen.preview_pane.preview.diffs
        assert diff.path == "namespaces/redis/helm-release.yaml"
        assert (diff.added, diff.removed) == (1, 1)
        assert recreate_text(screen).startswith("Recreate: NO")
        await write_it(pilot)
    assert changed_lines(before, hr.read_text()) == ['-      version: "20.x"', '+      version: "21.x"']


async def test_values_change_only_those_lines(demo: Path) -> None:
    hr = demo / "namespaces/redis/helm-release.yaml"
    before = hr.read_text()
    app = InfraApp(demo, blink=False, open_component="redis")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await edit_settled(pilot)
        area = screen.query_one("#values", TextArea)
        area.text = area.text.replace("replicaCount: 2", "replicaCount: 3").replace(
            "size: 2Gi", "size: 4Gi", 1
        )
        screen = await edit_settled(pilot)
        assert screen.form.state.fields["edit"] == {
            "values": {"replica": {"replicaCount": 3}, "master": {"persistence": {"size": "4Gi"}}}
        }
        await write_it(pilot)
    changed = changed_lines(before, hr.read_text())
    assert len(changed) == 4, changed
    assert "-      replicaCount: 2  # REVIEW: Replicas set to match similar services" in changed
    assert "+      replicaCount: 3  # REVIEW: Replicas set to match similar services" in changed
    assert all("size" in line or "replicaCount" in line for line in changed)


async def test_add_and_remove_a_dependency_moves_the_layer_before_writing(demo: Path) -> None:
    app = InfraApp(demo, blink=False, open_component="redis")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await edit_settled(pilot)
        view = screen.query_one(GraphView)
        assert view.graph.layer["flux-system/redis"] == 1
        search = screen.query_one("#deps-search", Input)
        search.focus()
        await pilot.press(*"linkerd-config", "enter")
        screen = await edit_settled(pilot)
        assert screen.form.state.fields["edit"] == {"dependsOn": {"add": ["linkerd-config"], "remove": []}}
        # on screen, not written: redis now comes after linkerd-config (layer 3)
        assert view.graph.layer["flux-system/redis"] == 4
        assert "redis  layer 4" in str(screen.query_one("#graph-details", Static).render())
        text = recreate_text(screen)
        assert text.startswith("Recreate: YES: dependsOn of deployed Kustomization redis changes")
        assert "vagrant destroy && vagrant up" in text
        picker = screen.query_one(DependencyPicker)
        picker.chosen = [d for d in picker.chosen if d not in ("linkerd-config", "nfs-provisioner")]
        picker.post_message(DependencyPicker.Changed(picker))
        screen = await edit_settled(pilot)
        assert screen.form.state.fields["edit"] == {"dependsOn": {"add": [], "remove": ["nfs-provisioner"]}}
        assert view.graph.layer["flux-system/redis"] == 1  # cluster-secrets (layer 0) is left
        assert "redis  layer 1" in str(screen.query_one("#graph-details", Static).render())
        infra = demo / "clusters/local-kube/infrastructure.yaml"
        before = infra.read_text()
        await write_it(pilot)
    assert changed_lines(before, infra.read_text()) == ["-    - name: nfs-provisioner"]


async def test_monitoring_split_says_recreate_with_the_reason(demo: Path) -> None:
    app = InfraApp(demo, blink=False, open_component="reloader")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await edit_settled(pilot)
        screen.query_one("#sm").value = True
        screen = await edit_settled(pilot)
        plan = screen.preview_pane.preview.plan
        assert "namespaces/reloader-monitoring/kustomization.yaml" in plan.created
        text = recreate_text(screen)
        assert text.startswith("Recreate: YES: monitoring split out of deployed Kustomization reloader")
        assert "CLUSTER RECREATE REQUIRED" in text
        assert "CLUSTER RECREATE REQUIRED" in screen.preview_pane.preview.summary
        # the new split shows in the graph before writing
        assert "flux-system/reloader-monitoring" in screen.query_one(GraphView).graph.nodes


async def test_fix_all_findings_of_a_seeded_broken_demo(tmp_path: Path) -> None:
    root = git_init(seeded(tmp_path))
    before = rules_mod.lint(repo_mod.load(root))
    assert {f.rule for f in before} >= {"helm-force", "helm-cleanup-on-fail", "namespace-pss"}
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        await pilot.press("f9")
        await wait_for(
            pilot, lambda: isinstance(app.screen, FindingsScreen) and app.screen.findings, what="findings"
        )
        findings = app.screen
        assert len(findings.findings) == len(before)
        await wait_for(pilot, lambda: findings.preview is not None, what="the fix diff of the selection")
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, WriteConfirmScreen), what="the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), timeout=30, what="the write")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not findings.findings, timeout=30, what="the reload and a new lint")
        status = str(findings.query_one("#findings-status", Static).render())
        assert status.startswith("✓ no findings")
    assert rules_mod.lint(repo_mod.load(root)) == []
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize builds cannot run")
    for folder in sorted((root / "namespaces").iterdir()):
        proc = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{folder.name}: {proc.stderr}"


async def test_remove_a_leaf_and_be_refused_on_one_with_dependants(demo: Path) -> None:
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        await pilot.press("f8")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ComponentsScreen) and app.screen.rows, what="rows"
        )
        browser = app.screen
        await pilot.press("slash", *"redis", "down")
        assert browser.selected == "redis"
        tree = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file() and ".git" not in p.parts}
        await pilot.press("delete")
        await wait_for(
            pilot,
            lambda: any("netcorp-app" in str(n.message) for n in app._notifications),  # noqa: SLF001
            what="the refusal",
        )
        assert isinstance(app.screen, ComponentsScreen)
        assert {p: p.read_bytes() for p in demo.rglob("*") if p.is_file() and ".git" not in p.parts} == tree
        browser.query_one("#browse-filter", Input).value = "reloader"
        await pilot.pause()
        browser.query_one("DataTable").focus()
        assert browser.selected == "reloader"
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, WriteConfirmScreen), what="the confirmation")
        listed = str(app.screen.query_one(".dialog--body Static", Static).render())
        assert "- namespaces/reloader/helm-release.yaml  (deleted)" in listed
        assert "CLUSTER RECREATE REQUIRED" in str(app.screen.query_one(".dialog--warning", Static).render())
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), timeout=30, what="the write")
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: browser.rows and "reloader" not in [r.name for r in browser.rows], what="reload"
        )
    assert not (demo / "namespaces/reloader").exists()
    for env in ("local-kube", "staging"):
        assert "name: reloader\n" not in (demo / f"clusters/{env}/infrastructure.yaml").read_text()
    assert rules_mod.lint(repo_mod.load(demo)) == []


async def test_demo_replays_the_order_an_edit_wrote(demo: Path) -> None:
    app = DemoApp(demo, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None and app.player.source is not None, what="the demo")
        assert "flux-system/linkerd-config" not in app.player.source.graph.deps["flux-system/redis"]
        app.open_edit("redis")
        screen = await edit_settled(pilot)
        screen.query_one("#deps-search", Input).focus()
        await pilot.press(*"linkerd-config", "enter")
        await edit_settled(pilot)
        await write_it(pilot)
        await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: "flux-system/linkerd-config" in app.player.source.graph.deps.get("flux-system/redis", []),
            timeout=30,
            what="the replay with the new dependsOn",
        )
        replay = app.player.source
        ready_at = {s.name: s.t for s in replay.timeline.steps if s.state == "ready"}
        assert ready_at["flux-system/linkerd-config"] <= ready_at["flux-system/redis"]
        assert replay.graph.layer["flux-system/redis"] == 4


async def test_help_palette_and_footer_list_the_cockpit(demo: Path) -> None:
    from infra_tui.app import ACTIONS
    from infra_tui.screens.modals import HelpScreen

    assert {"components", "findings"} <= {action for _, action, _ in ACTIONS}
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        footer = {
            a.binding.key: a.binding.description for a in app.active_bindings.values() if a.binding.show
        }
        assert footer.get("f8") == "Components" and footer.get("f9") == "Findings"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = str(app.screen.query_one(".dialog--body Static", Static).render())
        assert "F9" in text and "F8" in text and "A  fix every fixable finding" in text


async def demo_at_its_end(pilot, app: DemoApp) -> None:
    """The demo's simulated bootstrap at its end (every state published, painted on the graph)."""
    await wait_for(pilot, lambda: app.repo is not None and app.player.source is not None, what="the demo")
    player = app.player
    player.source.clock.pause()
    player.source.clock.seek(player.source.timeline.end_time + 1)
    player.publish()
    await wait_for(pilot, lambda: app.main.query_one(GraphView).states, what="painted states")


async def test_demo_states_reach_the_browser(demo: Path) -> None:
    app = DemoApp(demo, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await demo_at_its_end(pilot, app)
        await pilot.press("f8")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ComponentsScreen) and app.screen.rows, what="rows"
        )
        assert {r.state for r in app.screen.rows} == {"ready"}
        deployed = len(app.repo.envs[app.env].kustomizations)  # every one the demo's entry deploys
        assert f"cluster state of {deployed}" in str(app.screen.query_one("#browse-status", Static).render())


async def test_the_edit_screen_is_reused_for_the_next_component(demo: Path) -> None:
    app = InfraApp(demo, blink=False, open_component="redis")
    async with app.run_test(size=(160, 48)) as pilot:
        first = await edit_settled(pilot)
        assert first.query_one("#env-values-staging", TextArea).display
        await pilot.press("escape")
        app.open_edit("reloader")
        screen = await edit_settled(pilot)
        assert screen is first and screen.form.current.name == "reloader"
        assert screen.query_one("#version", Input).value == screen.form.current.version != "20.x"
        assert str(screen.query_one("#edit-title", Static).render()) == "Edit reloader"
        staging = screen.query_one("#env-values-staging", TextArea)
        assert staging.display == bool(screen.form.current.env_values.get("staging") is not None)
        assert str(screen.query_one("#form-status", Static).render()).startswith("nothing changed")


async def test_a_component_opened_again_is_filled_before_its_first_frame(demo: Path) -> None:
    """Opening a component on the kept edit screen fills the form and shows its preview in the same
    call (no worker, no frame in between), and the screen looks as on a first open."""
    from tests.apprepo import stable

    app = InfraApp(demo, blink=False, open_component="redis")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await edit_settled(pilot)
        await stable(pilot)
        first_look = app.export_screenshot()
        await pilot.press("escape")
        app.open_edit("reloader")
        assert screen.form.current.name == "reloader"
        assert (
            screen.preview_pane.preview.fields
            == screen.form.state.fields
            == {"component": "reloader", "edit": {}}
        )
        await edit_settled(pilot)
        await pilot.press("escape")
        app.open_edit("redis")
        assert screen.form.current.name == "redis"
        assert screen.preview_pane.preview.fields == screen.form.state.fields
        await edit_settled(pilot)
        await stable(pilot)
        assert app.export_screenshot() == first_look


async def test_the_edit_screens_cluster_tab_shows_the_components_flux_status(demo: Path) -> None:
    from textual.widgets import DataTable

    from infra_tui.widgets.cluster_panel import ClusterPanel

    app = DemoApp(demo, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await demo_at_its_end(pilot, app)
        await wait_for(
            pilot, lambda: app.main.query_one(ClusterPanel).snapshot is not None, what="the states"
        )
        app.open_edit("redis")
        screen = await edit_settled(pilot)
        screen.preview_pane.active = "cluster"
        panel = screen.query_one(ClusterPanel)
        await wait_for(pilot, lambda: panel.selected == "flux-system/redis", what="redis selected")
        assert panel.snapshot is app.main.query_one(ClusterPanel).snapshot
        table = panel.query_one(DataTable)
        assert table.row_count == len(panel.snapshot.items) > 1
        assert str(table.get_row_at(table.cursor_row)[0]) == "redis"
        assert "ready" in str(table.get_row_at(table.cursor_row)[1])
        await pilot.press("escape")
        app.open_edit("reloader")
        await edit_settled(pilot)
        await wait_for(pilot, lambda: panel.selected == "flux-system/reloader", what="the next component")


async def test_a_declared_kind_is_unchecked_and_its_annotation_line_goes(demo: Path) -> None:
    from textual.widgets import SelectionList

    from infra_tui.core import apply as apply_mod
    from infra_tui.core import edit as edit_mod
    from infra_tui.core import spec as spec_mod

    edit = spec_mod.parse_edit({"creates": ["RecurringJob", "Certificate"]}, "reloader")
    apply_mod.apply(edit_mod.plan_edit(repo_mod.load(demo), "reloader", edit), demo)
    app = InfraApp(demo, blink=False, open_component="reloader")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await edit_settled(pilot)
        creates = screen.query_one("#creates", SelectionList)
        assert {"RecurringJob", "Certificate"} <= set(creates.selected)
        creates.deselect("Certificate")
        await wait_for(pilot, lambda: screen.form.state.fields.get("edit"), what="the edit")
        screen = await edit_settled(pilot)
        assert screen.form.state.fields["edit"] == {"creates": {"add": [], "remove": ["Certificate"]}}
        assert "creates" not in screen.form.state.errors
        diffs = screen.preview_pane.preview.diffs
        assert {d.path for d in diffs} == {
            "clusters/local-kube/infrastructure.yaml",
            "clusters/staging/infrastructure.yaml",
        }
        for d in diffs:
            changed = [ln for ln in d.diff.splitlines()[2:] if ln[:1] in "+-"]
            assert changed == [
                "-    infra-tui.io/creates: RecurringJob, Certificate",
                "+    infra-tui.io/creates: RecurringJob",
            ]
        assert screen.form.write_blocker is None
