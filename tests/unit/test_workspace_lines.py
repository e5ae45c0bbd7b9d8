"""dependsOn added or removed as a line edit (the edit preview's fast path) means the same YAML as
the round-trip edit it replaces, and changes exactly one line."""

from __future__ import annotations

import difflib

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import repo as repo_mod
from infra_tui.core import workspace as ws_mod
from infra_tui.core import yamlio
from tests.paths import DEMO


def _round_trip(monkeypatch, fn, *args) -> ws_mod.Workspace:
    ws = ws_mod.Workspace(DEMO)
    with monkeypatch.context() as m:
        m.setattr(ws_mod, "_dependency_items", lambda *a: None)
        fn(ws, *args)
    return ws


@pytest.mark.parametrize("env", ["local-kube", "staging"])
def test_line_edits_mean_what_the_round_trip_means(monkeypatch, env) -> None:
    kss = repo_mod.load(DEMO).envs[env].kustomizations
    for i, ks in enumerate(kss):
        if i % 4:
            continue  # a quarter of them: each round-trip edit takes ~0.1 s here
        target = kss[(i + 7) % len(kss)]
        fast = ws_mod.Workspace(DEMO)
        ws_mod.add_dependency(fast, ks, target, None)
        slow = _round_trip(monkeypatch, ws_mod.add_dependency, ks, target, None)
        after = fast.text(ks.file) or ""
        assert list(yaml.safe_load_all(after)) == list(yaml.safe_load_all(slow.text(ks.file) or ""))
        before = (DEMO / ks.file).read_text()
        changed = [
            line
            for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        if target.id not in ks.depends_on_ids and ks.depends_on_ids:
            assert changed == [f"+    - name: {target.name}"], (ks.name, changed)
        for dep in ks.depends_on_ids[:1]:
            fast = ws_mod.Workspace(DEMO)
            ws_mod.remove_dependency(fast, ks, dep)
            slow = _round_trip(monkeypatch, ws_mod.remove_dependency, ks, dep)
            assert list(yaml.safe_load_all(fast.text(ks.file) or "")) == list(
                yaml.safe_load_all(slow.text(ks.file) or "")
            )


# -- an edited document's file is not split again: the kept documents are the split's ----------

_doc_lines = st.sampled_from(["a: 1\n", "# c\n", "\n", "b:\n  - x\n", "---\n", "--- # m\n", "...\n", "k: v"])
_bodies = st.lists(_doc_lines, max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    docs=st.lists(_bodies, min_size=1, max_size=8),
    edits=st.lists(st.tuples(st.integers(0, 20), st.one_of(st.none(), _bodies)), min_size=1, max_size=4),
)
def test_replaced_documents_are_what_a_split_gives(tmp_path_factory, docs, edits) -> None:
    root = tmp_path_factory.mktemp("ws")
    (root / "f.yaml").write_text("".join("---\n" + d for d in docs))
    ws = ws_mod.Workspace(root)
    for at, body in edits:
        n = len(ws.chunks("f.yaml"))
        if n == 0:
            break
        ws.replace_body("f.yaml", at % n, body)
        assert ws.chunks("f.yaml") == yamlio.split_documents(ws.text("f.yaml") or "")
