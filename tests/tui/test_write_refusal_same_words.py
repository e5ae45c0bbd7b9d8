"""One answer to "can we write?" (``core.preview.plan_blocker``): where a plan cannot be written,
``infra-tui new --write`` and the wizard's ctrl+s refuse it with the same message, and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_tui import cli
from infra_tui.app import InfraApp
from tests.apprepo import make_repo, settle, type_component, wait_for

SPEC = """name: leftover
chart:
  name: widgets
  repository: {url: https://charts.example.com}
"""


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def root(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    repo = make_repo(tmp_path / "repo")
    # a folder no Kustomization deploys: the name is free in the form, the plan refuses it
    (repo / "namespaces" / "leftover").mkdir()
    (repo / "namespaces" / "leftover" / "notes.yaml").write_text("a: 1\n")
    return repo


async def test_cli_and_tui_refuse_the_same_plan_in_the_same_words(root: Path, tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    before = tree(root)
    assert cli.main(["new", "--repo", str(root), "--spec", str(spec), "--write", "--no-validate"]) == 1
    err = capsys.readouterr().err.splitlines()
    cli_says = next(line for line in err if "cannot be written" in line).removeprefix("infra-tui: ")
    assert cli_says.startswith("the plan cannot be written: namespaces/leftover/ already exists")
    assert err[-1] == "infra-tui: no changes were made"
    assert tree(root) == before

    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        await type_component(pilot, name="leftover", chart="widgets", url="https://charts.example.com")
        assert app.main.form.state.errors == {}  # the form has nothing against the name
        assert app.main.form.write_blocker == cli_says
        await pilot.press("ctrl+s")

        def toasts() -> list[str]:
            return [str(t.render()) for t in app.screen.query("Toast")]

        await wait_for(pilot, lambda: bool(toasts()), what="the notification")
        assert toasts() == [f"Cannot write\n{cli_says}"]
    assert tree(root) == before
