"""Properties of edits on every HelmRelease of the demo repo (hypothesis): a version bump changes
one line; a values merge changes only the HelmRelease document and reads back as the merge."""

from __future__ import annotations

import copy
import difflib

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import edit as edit_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import spec as spec_mod
from tests.paths import DEMO

_repo = repo_mod.load(DEMO)
RELEASES = {
    k.name: [r.name for r in _repo.component_for(k).resources if r.kind == "HelmRelease"]
    for k in _repo.envs["local-kube"].kustomizations
    if _repo.component_for(k)
}
WITH_RELEASE = sorted(
    k.name
    for k in _repo.envs["local-kube"].kustomizations
    if (c := _repo.component_for(k))
    and any(r.kind == "HelmRelease" and (r.data.get("spec") or {}).get("chart") for r in c.resources)
)

key = st.from_regex(r"\A[a-z][a-zA-Z]{0,6}\Z", fullmatch=True).filter(lambda k: k.lower() != "servicemonitor")
scalar = st.one_of(st.integers(0, 99), st.booleans(), st.text("abc-", min_size=1, max_size=6))
patch_values = st.recursive(
    scalar, lambda inner: st.dictionaries(key, inner, min_size=1, max_size=3), max_leaves=6
).filter(lambda v: isinstance(v, dict))


def merged(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merged(out[k], v)
        else:
            out[k] = v
    return out


@settings(max_examples=40, deadline=None)
@given(
    component=st.sampled_from(WITH_RELEASE),
    version=st.sampled_from(["9.9.x", "~1.2.3", ">=1.0.0 <2.0.0", "*"]),
)
def test_version_bump_changes_one_line(component, version):
    release = RELEASES[component][0]
    plan = edit_mod.plan_edit(
        _repo, component, spec_mod.parse_edit({"chart": {"version": version}, "release": release}, component)
    )
    assert plan.ok, plan.refusals
    (f,) = plan.files
    changes = [
        ln for ln in difflib.ndiff(f.before.splitlines(), f.after.splitlines()) if ln[:2] in ("- ", "+ ")
    ]
    old = next(d for d in yaml.safe_load_all(f.before) if d and d["metadata"]["name"] == release)
    if str(old["spec"]["chart"]["spec"].get("version")) != version:
        assert len(changes) == 2
    plan_plain = edit_mod.plan_edit(
        _repo, component, spec_mod.parse_edit({"chart": {"version": version}}, component)
    )
    if len(RELEASES[component]) > 1 and component not in RELEASES[component]:
        assert any("say which one with release: NAME" in r for r in plan_plain.refusals)
    docs = [
        d
        for d in yaml.safe_load_all(f.after)
        if d and d.get("kind") == "HelmRelease" and d["metadata"]["name"] == release
    ]
    assert docs[0]["spec"]["chart"]["spec"]["version"] == version


@settings(max_examples=40, deadline=None)
@given(component=st.sampled_from(WITH_RELEASE), values=patch_values)
def test_values_merge_touches_only_the_release_document(component, values):
    release = RELEASES[component][0]
    plan = edit_mod.plan_edit(
        _repo, component, spec_mod.parse_edit({"values": values, "release": release}, component)
    )
    assert plan.ok, plan.refusals
    for f in plan.files:
        before_docs = list(yaml.safe_load_all(f.before))
        after_docs = list(yaml.safe_load_all(f.after))
        assert len(before_docs) == len(after_docs)
        for b, a in zip(before_docs, after_docs, strict=True):
            if b and b.get("kind") == "HelmRelease" and b["metadata"]["name"] == release:
                assert (a["spec"].get("values") or {}) == merged(b["spec"].get("values") or {}, values)
                assert {k: v for k, v in a["spec"].items() if k != "values"} == {
                    k: v for k, v in b["spec"].items() if k != "values"
                }
            else:
                assert a == b
        # every comment line of the original survives
        for line in f.before.splitlines():
            if line.strip().startswith("#"):
                assert line in f.after
