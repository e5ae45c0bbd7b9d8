"""render_named: the new component's files made from a template without the name are the same
text, data and REVIEW notes as the ruamel.yaml render of each name (hypothesis over generated
specs), and a keystroke on the name no longer runs the render."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra_tui.core import render, render_named, scaffold
from infra_tui.core import spec as spec_mod
from tests.unit.test_scaffold_properties import _demo_repo, names, specs


def plain_render(fn, name, *args):
    return render.cached(fn, *args)


def planned(data: dict, *, templates: bool) -> tuple[list[tuple[str, str]], list[str], list]:
    scaffold.clear_cache()
    with pytest.MonkeyPatch.context() as mp:
        if not templates:
            mp.setattr(render_named, "cached_named", plain_render)
        plan = scaffold.plan(_demo_repo, spec_mod.parse(data))
    return [(f.path, f.after) for f in plan.files], plan.assumptions, plan.findings


@st.composite
def name_heavy_specs(draw) -> dict:
    """The demo's specs, with the name also where other fields may repeat it."""
    data = draw(specs())
    name = data["name"]
    if draw(st.booleans()):
        data["chart"]["name"] = name
    if draw(st.booleans()):
        data["chart"]["repository"]["url"] = draw(
            st.sampled_from([f"https://charts.example.com/{name}", f"oci://ghcr.io/{name}/{name}"])
        )
    if draw(st.booleans()):
        data.setdefault("values", {})["fullnameOverride"] = name
    if draw(st.booleans()):
        data["namespace"] = name
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=name_heavy_specs(), more=st.lists(names, min_size=2, max_size=3))
def test_the_template_path_gives_the_ruamel_text(data, more):
    """Names typed one after another (the template is made at the second and used after), each
    planned as the ruamel.yaml path plans it."""
    typed = [dict(data, name=n) for n in [data["name"], *more]]
    scaffold.clear_cache()
    got = []
    for spec in typed:  # caches kept between keystrokes, as in the wizard
        plan = scaffold.plan(_demo_repo, spec_mod.parse(spec))
        got.append(([(f.path, f.after) for f in plan.files], plan.assumptions, plan.findings))
    assert got == [planned(spec, templates=False) for spec in typed]


@pytest.mark.parametrize("name", ["true", "null", "yes", "ab", "a", "x" * 64, "Cache", "my_cache"])
def test_names_outside_the_template_rules_render_as_before(name):
    got = render_named.cached_named(render.render_namespace, name, name, False, {"a": "b"})
    assert got == render.render_namespace(name, False, {"a": "b"})


def test_no_skeleton_holds_a_stand_in():
    skeletons = resources.files("infra_tui.templates").joinpath("skeletons")
    for f in skeletons.iterdir():
        text = f.read_text(encoding="utf-8")
        assert render_named.SHORT not in text and render_named.LONG[:3] not in text, f.name


def test_typing_the_name_renders_from_the_template(monkeypatch):
    """After the first name, the four files the name changes are not rendered again (no ruamel.yaml
    dump per keystroke); their text is what the render gives for that name."""
    calls: list[str] = []
    real = render.render_helm_release

    def counting(*args):
        calls.append(args[0])
        return real(*args)

    counting.__name__ = real.__name__
    monkeypatch.setattr(scaffold, "render_helm_release", counting)
    scaffold.clear_cache()
    base = {"chart": {"name": "redis", "repository": {"url": "https://charts.bitnami.com/bitnami"}}}
    typed = ("cache", "cachea", "cacheab", "cacheabc")
    plans = [scaffold.plan(_demo_repo, spec_mod.parse(dict(base, name=name))) for name in typed]
    assert len(calls) == 3  # the first name, then the two stand-ins of the template: no render per keystroke
    for name, plan in zip(typed, plans, strict=True):
        assert [(f.path, f.after) for f in plan.files] == planned(dict(base, name=name), templates=False)[0]
