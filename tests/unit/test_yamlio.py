"""Fast reading with file:line, and round trips that keep every untouched byte."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import yamlio
from tests.corpus import CORPUS

HEADER_FILE = """\
# Header comment before the first document marker.
# ruamel.yaml drops these on its own; MultiDocFile must keep them.
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cilium   # trailing comment
  namespace: flux-system
spec:
  interval: 5m
  path: "./namespaces/cilium"
  prune: false

# --- Layer 1.5 ---
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: 'cilium-config'
  namespace: flux-system
spec:
  dependsOn:
    - name: cilium
  path: ./namespaces/cilium-config
"""


def corpus_yaml_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    # status/ holds upstream Go-template fixtures ({{ .fluxns }}): not YAML until rendered
    return sorted(p for p in CORPUS.rglob("*.y*ml") if "status" not in p.relative_to(CORPUS).parts)


def test_untouched_file_dumps_byte_identical():
    m = yamlio.MultiDocFile.parse(HEADER_FILE)
    assert str(m) == HEADER_FILE
    assert m.chunks[0].marker == "" and m.chunks[0].body.startswith("# Header comment")


def test_each_document_round_tripped_through_ruamel_is_byte_identical():
    m = yamlio.MultiDocFile.parse(HEADER_FILE)
    for i in m.document_indexes():
        m.replace(i, m.load(i))
    assert str(m) == HEADER_FILE


def test_editing_one_document_changes_only_its_lines():
    m = yamlio.MultiDocFile.parse(HEADER_FILE)
    i = m.document_indexes()[0]
    data = m.load(i)
    data["spec"]["interval"] = "10m"
    m.replace(i, data)
    before, after = HEADER_FILE.splitlines(), str(m).splitlines()
    assert len(before) == len(after)
    assert [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [9]


def test_append_keeps_every_existing_byte():
    m = yamlio.MultiDocFile.parse(HEADER_FILE)
    m.append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", comment="REVIEW: added")
    out = str(m)
    assert out.startswith(HEADER_FILE)
    assert (
        out[len(HEADER_FILE) :]
        == "---\n# REVIEW: added\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    )


def test_append_to_file_without_final_newline():
    text = "---\napiVersion: v1\nkind: ConfigMap"
    m = yamlio.MultiDocFile.parse(text)
    m.append("kind: X\n")
    assert str(m) == text + "\n---\nkind: X\n"


@pytest.mark.parametrize("path", corpus_yaml_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_files_split_and_join_byte_identical(path):
    text = path.read_text(encoding="utf-8")
    assert str(yamlio.MultiDocFile.parse(text)) == text
    docs, errors = yamlio.load_documents(text, path.name)
    assert errors == []


def test_most_corpus_documents_survive_a_ruamel_round_trip_untouched():
    """Real files use other list indentations; the per-document guess keeps >90% identical."""
    files = corpus_yaml_files()
    if not files:
        pytest.skip("corpus missing")
    same = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            text = path.read_text(encoding="utf-8")
            m = yamlio.MultiDocFile.parse(text)
            for i in m.document_indexes():
                m.replace(i, m.load(i))
            same += str(m) == text
    assert same / len(files) > 0.9


def test_bad_document_reports_file_and_line_and_others_still_load():
    text = "---\nkind: A\nmetadata:\n  name: a\n---\nkind: B\nmetadata:\n  name: [unclosed\n---\nkind: C\n"
    docs, errors = yamlio.load_documents(text, "clusters/x/infrastructure.yaml")
    assert [d.data["kind"] for d in docs] == ["A", "C"]
    assert len(errors) == 1
    assert errors[0].file == "clusters/x/infrastructure.yaml"
    assert errors[0].line in (8, 9)
    assert "fix the syntax" in errors[0].message


def test_document_lines_point_at_first_content_line():
    docs, _ = yamlio.load_documents(HEADER_FILE, "f.yaml")
    assert [d.line for d in docs] == [4, 16]


yaml_lines = st.lists(
    st.sampled_from(
        ["---", "--- # c", "a: 1", "# comment", "", "  b: 2", "...", "- x", "k: |", "  ---x", "--x"]
    ),
    max_size=30,
)


@settings(max_examples=300)
@given(yaml_lines, st.booleans())
def test_split_documents_never_loses_a_byte(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert "".join(c.text for c in yamlio.split_documents(text)) == text
