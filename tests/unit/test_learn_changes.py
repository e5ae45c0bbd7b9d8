"""``edit`` and ``lint --fix`` use what was learned: providers by the repo's own names (cilium as
``cni``, monitoring CRDs from ``prometheus-operator-crds``), the objects they create in the repo's
style (30m intervals, flush lists) with REVIEWs naming where each learned value came from, and a
summary that says what was learned and what stayed the house default."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import apply, edit, fix, learned_changes, rules, scaffold, summary
from infra_tui.core import spec as spec_mod
from infra_tui.core.spec import parse_edit
from tests.unit.test_learn import load, renamed_repo

SM = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: certs\nspec: {}\n"


def appended(plan, path: str = "clusters/local-kube/infrastructure.yaml") -> list[str]:
    f = next(f for f in plan.files if f.path == path)
    only = learned_changes.added_lines(f.before, f.after)
    return [ln for i, ln in enumerate(f.after.split("\n")) if i in only]


def errors_of(root: Path, name: str) -> list[str]:
    return [
        f"{f.rule}: {f.message}"
        for f in rules.lint(load(root))
        if f.kustomization == f"flux-system/{name}" and f.severity == "error"
    ]


def test_edit_adding_a_kind_depends_on_the_learned_provider_with_its_source(tmp_path):
    root = renamed_repo(tmp_path)
    plan = edit.plan_edit(load(root), "gateway-crds", parse_edit({"webhook": True}, "gateway-crds"))
    assert plan.ok, plan.refusals
    assert "flux-system/cni" in plan.placement[0].depends_on
    placed = (
        "Placed after cni in bootstrap order: CiliumNetworkPolicy needs its CRDs; "
        "learned: chart cilium at namespaces/cni/helm-release.yaml:1"
    )
    assert f"    - name: cni  # REVIEW: {placed}" in appended(plan)
    assert plan.assumptions == [placed] and plan.learned == [placed]
    md = summary.to_markdown(plan)
    assert f"- Learned from this repo:\n  - {placed}\n" in md
    apply.apply(plan, root)
    assert errors_of(root, "gateway-crds") == []


def test_edit_monitoring_split_follows_the_style_and_the_learned_crd_provider(tmp_path):
    root = renamed_repo(tmp_path)
    plan = edit.plan_edit(
        load(root), "infra-certs", parse_edit({"monitoring": {"serviceMonitor": True}}, "infra-certs")
    )
    assert plan.ok, plan.refusals
    added = appended(plan)
    assert "  interval: 30m  # REVIEW: learned: interval 30m (8 of 8 Flux Kustomizations, e.g. " in "\n".join(
        added
    )
    assert "  timeout: 5m" in added  # the monitoring split's own timeout is a house rule
    assert "    - name: monitoring" in added and "    - name: infra-certs" in added
    assert any(
        ln.startswith("    - name: prometheus-operator-crds  # REVIEW: Placed after prometheus-operator-crds")
        and "learned: chart prometheus-operator-crds at namespaces/prometheus-operator-crds/helm-release.yaml:1"
        in ln
        for ln in added
    )
    assert any(a.startswith("Placed after prometheus-operator-crds") for a in plan.learned)
    assert summary.to_dict(plan)["learned"] == plan.learned
    apply.apply(plan, root)
    assert errors_of(root, "infra-certs-monitoring") == []


def test_fix_creates_the_monitoring_split_in_the_repos_style(tmp_path):
    root = renamed_repo(tmp_path)
    for path in root.rglob("*.yaml"):  # list items at their key's column, everywhere
        path.write_text(path.read_text().replace("\n  - ", "\n- ").replace("\n    - ", "\n  - "))
    (root / "namespaces/infra-certs/servicemonitor.yaml").write_text(SM)
    kfile = root / "namespaces/infra-certs/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "- servicemonitor.yaml\n")
    r = load(root)
    found = [f for f in rules.lint(r) if f.kustomization == "flux-system/infra-certs" and f.fixable]
    assert {f.rule for f in found} >= {"monitoring-split"}
    plan = fix.plan_fixes(r, found)
    assert plan.ok, plan.refusals
    files = {f.path: f for f in plan.files}
    split_k = files["namespaces/infra-certs-monitoring/kustomization.yaml"].after
    assert "\n- servicemonitor.yaml" in split_k  # flush, as the repo's lists
    assert "resources:  # REVIEW: list items at their key's column, as in this repo" in split_k
    added = "\n".join(appended(plan))
    assert "  interval: 30m  # REVIEW: learned: interval 30m (8 of 8 Flux Kustomizations" in added
    assert re.search(
        r"- name: prometheus-operator-crds +# REVIEW: Placed after prometheus-operator-crds", added
    )
    apply.apply(plan, root)
    assert errors_of(root, "infra-certs-monitoring") == []
    assert errors_of(root, "infra-certs") == []


def test_fix_names_where_each_learned_provider_came_from(tmp_path):
    root = renamed_repo(tmp_path)
    r = load(root)
    found = [f for f in rules.lint(r) if f.rule == "crd-dependency" and f.kustomization == "flux-system/app"]
    plan = fix.plan_fixes(r, found)
    added = appended(plan)
    assert (
        "    - name: cni  # REVIEW: lint --fix: cni provides the CRD of what app creates; "
        "learned: chart cilium at namespaces/cni/helm-release.yaml:1"
    ) in added
    assert (
        "app: dependsOn infra-certs added (crd-dependency); learned: chart cert-manager at "
        "namespaces/infra-certs/helm-release.yaml:1"
    ) in plan.learned


def test_untouched_lines_keep_their_bytes(tmp_path):
    root = renamed_repo(tmp_path)
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(infra.read_text().replace("interval: 30m", "interval: 1h", 1))  # one odd one out
    plan = edit.plan_edit(load(root), "gateway-crds", parse_edit({"webhook": True}, "gateway-crds"))
    f = next(f for f in plan.files if f.path.endswith("infrastructure.yaml"))
    only = learned_changes.added_lines(f.before, f.after)
    kept = [ln for i, ln in enumerate(f.after.split("\n")) if i not in only]
    assert kept == f.before.split("\n")
    assert "  interval: 1h" in f.after  # the odd one out is not restyled: it is no line the edit added


def test_summary_says_what_stayed_the_house_default(tmp_path):
    root = renamed_repo(tmp_path)
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(infra.read_text().replace("  timeout: 10m\n", ""))  # the repo never sets one
    plan = scaffold.plan(
        load(root),
        spec_mod.parse(
            {
                "name": "web",
                "chart": {"name": "app", "version": "1.x", "repository": {"url": "https://x.example"}},
            }
        ),
    )
    assert plan.ok, plan.refusals
    house = "timeout 10m of Flux Kustomizations: house default (not learned: this repo does not set it)"
    assert plan.house_defaults == [house]
    md = summary.to_markdown(plan)
    assert f"- House defaults (nothing in this repo to learn them from):\n  - {house}\n" in md
    assert (
        "- Learned from this repo:\n  - " in md and "\n  - learned: interval 30m (5 of 5 HelmReleases" in md
    )
    assert summary.to_dict(plan)["house_defaults"] == [house]


def test_new_monitoring_split_depends_on_the_learned_crd_provider(tmp_path):
    root = renamed_repo(tmp_path)
    plan = scaffold.plan(
        load(root),
        spec_mod.parse(
            {
                "name": "web",
                "monitoring": {"serviceMonitor": True},
                "chart": {"name": "x", "version": "1.x", "repository": {"url": "https://x.example"}},
            }
        ),
    )
    assert plan.ok, plan.refusals  # refused before: the split lacked prometheus-operator-crds
    split = next(p for p in plan.placement if p.name == "web-monitoring")
    assert split.depends_on == [
        "flux-system/monitoring",
        "flux-system/prometheus-operator-crds",
        "flux-system/web",
    ]
    assert any(a.startswith("Placed after prometheus-operator-crds in bootstrap order") for a in plan.learned)
    apply.apply(plan, root)
    assert errors_of(root, "web-monitoring") == []


def test_wizard_defaults_name_their_source_or_the_house():
    from infra_tui.core import learned_defaults

    house = learned_defaults.field_defaults(None, "redis", "cache")
    assert {k: (d.learned, d.marker) for k, d in house.items()} == {
        "interval": (False, "house default"),
        "timeout": (False, "house default"),
        "version": (False, 'house default: "*"'),
        "repo-name": (False, "house default"),
        "namespace": (False, "house default"),
        "values": (False, "house default"),
    }


def test_wizard_defaults_learned_in_a_renamed_repo(tmp_path):
    from infra_tui.core import learn, learned_defaults

    learned = learn.learn(load(renamed_repo(tmp_path)))
    d = learned_defaults.field_defaults(learned, "app", "web")
    assert (d["interval"].value, d["interval"].marker) == (
        "30m",
        "learned from cni (namespaces/cni/helm-release.yaml:7)",
    )
    assert d["interval"].detail.endswith("(5 of 5 seen)")
    assert d["values"].marker.startswith("learned from app (same chart: namespaces/app/helm-release.yaml:")
    rows = learned_defaults.fact_rows(learned)
    cni = next(r for r in rows if r.source == "cni · chart cilium")
    assert "CiliumNetworkPolicy" in cni.fact and cni.count == 1


def plain_added_lines(before: str, after: str) -> set[int]:
    """``added_lines`` as it was before the character-level cut: on the split line lists."""
    import difflib

    from infra_tui.core import diff

    a, b = before.split("\n"), after.split("\n")
    head, tail = diff.trim_line_lists(a, b)
    matcher = difflib.SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False)
    return {
        head + j
        for tag, _i1, _i2, j1, j2 in matcher.get_opcodes()
        if tag in ("insert", "replace")
        for j in range(j1, j2)
    }


_pieces = st.lists(st.sampled_from(["a", "b", "ab\n", "a\n", "\n", "x\r\n", "---\n", "c: 1\n"]), max_size=30)


@settings(max_examples=400)
@given(a=_pieces, b=_pieces, pad=st.sampled_from(["", "k: v\n" * 900, "y" * 5000]))
def test_added_lines_is_the_plain_list_path(a, b, pad):
    before, after = pad + "".join(a) + pad, pad + "".join(b) + pad
    assert learned_changes.added_lines(before, after) == plain_added_lines(before, after)
