"""Start-up stays lean: the command table matches the modules, and a command imports only itself.

The timing itself is a benchmark (bench/bench_startup.py), not a test; these guard the causes.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

from infra_tui import cli


def test_command_table_matches_the_modules():
    for name, help_text in cli.COMMANDS.items():
        module = importlib.import_module(f"infra_tui.commands.{name}")
        assert (module.NAME, module.HELP) == (name, help_text)


def _imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_a_plain_command_imports_neither_textual_nor_the_other_commands():
    mods = _imported_after("from infra_tui import cli; cli.build_parser().parse_args(['graph'])")
    assert "infra_tui.commands.graph" in mods
    assert not {f"infra_tui.commands.{name}" for name in cli.COMMANDS if name != "graph"} & mods
    assert "textual" not in mods


HEAVY = (
    "jsonschema",
    "questionary",
    "prompt_toolkit",
    "rich.markdown",
    "markdown_it",
    "infra_tui.services.validate",
    "infra_tui.services.dryrun",
    "infra_tui.core.simulate",
    "infra_tui.prompts",
    # the plan's modules load in the preview worker, after the first frame
    "ruamel.yaml",
    "infra_tui.core.preview",
    "infra_tui.core.scaffold",
    "infra_tui.core.apply",
    # the wizard's checks, the rule tables and the validation model: read by the loader thread
    "infra_tui.core.spec",
    "infra_tui.core.rules",
    "infra_tui.core.validation",
    # the repo model: the app imports it in its loader thread, after the first frame
    "infra_tui.core.repo",
    "infra_tui.core.fluxtree",
    "infra_tui.core.kustree",
    # PyYAML and the settings file (``--timeout`` is parsed by core.tui_flags), the write journal
    "yaml",
    "infra_tui.core.settings",
    "infra_tui.core.write_journal",
    # the values editor (and tree-sitter): made with the wizard's lower fields, after the graph
    "textual.widgets._text_area",
    "tree_sitter",
)


def test_the_tui_path_leaves_heavy_modules_for_later():
    mods = _imported_after(
        "from infra_tui import cli; cli.build_parser().parse_args(['tui']); import infra_tui.app"
    )
    assert not [m for m in HEAVY if m in mods]


def test_the_app_module_leaves_the_repo_model_to_the_loader_thread():
    """The app reads the repo (and imports its model and PyYAML) in the loader thread, after the
    first frame."""
    mods = _imported_after("import infra_tui.app")
    assert not [m for m in ("infra_tui.core.repo", "infra_tui.core.settings", "yaml") if m in mods]


WAIT_FOR_GRAPH = """
        deadline = time.monotonic() + 60
        view = None
        while view is None or view.graph is None:
            assert time.monotonic() < deadline, "no graph on screen"
            if view is None and app.main.query(GraphView):
                view = app.main.query_one(GraphView)
            # a light poll that lets the event loop wait: one spinning (sleep(0)) holds the GIL
            # and starves the loader thread (each of its file reads waits for a GIL switch)
            await asyncio.sleep(0.001)
"""
"""In a program run by a test, inside ``async with app.run_test(...)``: wait until the graph is on
screen (``view``: the GraphView)."""

LOADER_ORDER = (
    """
import asyncio, sys, time
from infra_tui.app import InfraApp
from infra_tui.widgets.graph_view import GraphView

async def main():
    app = InfraApp(sys.argv[1], blink=False)
    async with app.run_test(size=(160, 48)):"""
    + WAIT_FOR_GRAPH
    + """        at_graph = set(sys.modules)
        while app.repo is None or not app.main.form.built:
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "load"])
    for name in ("infra_tui.core.preview", "infra_tui.core.rules", "infra_tui.core.write_journal"):
        print(name, name in at_graph, name in sys.modules)

asyncio.run(main())
"""
)


def test_the_loader_draws_a_cold_graph_before_the_preview_and_skips_an_absent_journal(tmp_path):
    """A cold start (nothing kept): the graph is on screen before the loader thread imports the
    preview's modules and the rule tables (they come after, as the wizard needs them), and with no
    journal in the repo the write journal's modules are never imported."""
    import os

    from tests.apprepo import make_repo

    root = make_repo(tmp_path / "repo", extra=7)
    env = {**os.environ, "INFRA_TUI_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", LOADER_ORDER, str(root)], capture_output=True, text=True, check=True, env=env
    ).stdout
    seen = {
        name: (at_graph, at_end) for name, at_graph, at_end in (line.split() for line in out.splitlines())
    }
    assert seen == {
        "infra_tui.core.preview": ("False", "True"),
        "infra_tui.core.rules": ("False", "True"),
        "infra_tui.core.write_journal": ("False", "False"),
    }
