"""``--plain`` prompts with prompt_toolkit pipe input: same plan as the spec; Ctrl-C writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from infra_tui import cli, prompts
from infra_tui.core import repo as repo_mod
from infra_tui.core import scaffold
from infra_tui.core import spec as spec_mod
from tests.paths import DEMO

DOWN, SPACE, ENTER, CTRL_C = "\x1b[B", " ", "\r", "\x03"
REAL_ASK = prompts.ask_new_spec


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


def answers(*items: str) -> str:
    return "".join(items)


def ask(repo, keys: str):
    with create_pipe_input() as inp:
        inp.send_text(keys)
        return prompts.ask_new_spec(repo, input=inp, output=DummyOutput())


FULL_SPEC = {
    "name": "redis-cache",
    "namespace": "cache",
    "envs": ["local-kube", "staging"],
    "chart": {
        "name": "redis",
        "version": "19.x",
        "repository": {"name": "bitnami-https", "url": "https://charts.bitnami.com/bitnami"},
    },
    "values": {"architecture": "standalone", "replica": {"replicaCount": 2}},
    "env_values": {"staging": {"replica": {"replicaCount": 1}}},
    "timeout": "10m",
    "webhook": False,
    "creates": ["RecurringJob", "Certificate"],
    "monitoring": {"serviceMonitor": True, "prometheusRule": False},
    "dependsOn": ["cluster-secrets"],
}

FULL_KEYS = answers(
    "redis-cache",
    ENTER,  # name
    "cache",
    ENTER,  # namespace
    DOWN,
    SPACE,
    ENTER,  # envs: local-kube is checked; check staging too
    "redis",
    ENTER,  # chart
    "https://charts.bitnami.com/bitnami",
    ENTER,
    "bitnami-https",
    ENTER,  # repository name
    "19.x",
    ENTER,  # version
    "{architecture: standalone, replica: {replicaCount: 2}}",
    ENTER,
    "{replica: {replicaCount: 1}}",
    ENTER,  # staging overrides
    "10m",
    ENTER,  # timeout
    "n",  # webhook
    "RecurringJob, Certificate",
    ENTER,  # creates
    "y",
    "n",  # ServiceMonitor, PrometheusRule
    "cluster-secrets",
    ENTER,  # dependsOn
)


def test_prompts_produce_the_same_plan_as_the_spec(demo: Path):
    repo = repo_mod.load(demo)
    from_prompts = ask(repo, FULL_KEYS)
    from_spec = spec_mod.parse(FULL_SPEC)
    assert from_prompts == from_spec
    a, b = scaffold.plan(repo, from_prompts), scaffold.plan(repo, from_spec)
    assert a.ok and [(f.path, f.after) for f in a.files] == [(f.path, f.after) for f in b.files]
    assert a.placement == b.placement and a.assumptions == b.assumptions


def test_empty_answers_are_unstated_defaults(demo: Path):
    repo = repo_mod.load(demo)
    keys = answers(
        "podinfo",
        ENTER,
        ENTER,
        ENTER,
        "podinfo",
        ENTER,
        "oci://ghcr.io/stefanprodan/charts",
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
    )
    spec = ask(repo, keys)
    assert spec == spec_mod.parse(
        {
            "name": "podinfo",
            "envs": ["local-kube"],
            "webhook": False,
            "chart": {"name": "podinfo", "repository": {"url": "oci://ghcr.io/stefanprodan/charts"}},
        }
    )
    plan = scaffold.plan(repo, spec)
    assert any('"*"' in a for a in plan.assumptions) and any(
        "namespace not stated" in a for a in plan.assumptions
    )


def test_invalid_answers_are_asked_again(demo: Path):
    repo = repo_mod.load(demo)
    keys = answers(
        "Bad_Name",
        ENTER,
        "\x7f" * 8,
        "cilium",
        ENTER,
        "\x7f" * 6,
        "fresh",
        ENTER,  # bad, existing, good
        ENTER,
        ENTER,
        "fresh",
        ENTER,
        "http://x",
        ENTER,
        "\x7f" * 8,
        "https://charts.example.com",
        ENTER,
        ENTER,
        ENTER,
        "[1, 2]",
        ENTER,
        "\x7f" * 6,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        ENTER,
        "ciliun",
        ENTER,
        "\x7f" * 6,
        "cilium",
        ENTER,
    )
    spec = ask(repo, keys)
    assert spec.name == "fresh" and spec.chart.repository.url == "https://charts.example.com"
    assert spec.values == {} and spec.depends_on == ["cilium"]


def test_ctrl_c_raises_keyboard_interrupt(demo: Path):
    repo = repo_mod.load(demo)
    with pytest.raises(KeyboardInterrupt):
        ask(repo, answers("half", ENTER, CTRL_C))


def test_ctrl_c_in_the_cli_leaves_no_files(demo: Path, monkeypatch, capsys):
    before = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()}

    def interrupted(repo, env=None):
        with create_pipe_input() as inp:
            inp.send_text(answers("half-done", ENTER, "ns", ENTER, CTRL_C))
            return REAL_ASK(repo, env=env, input=inp, output=DummyOutput())

    monkeypatch.setattr(prompts, "ask_new_spec", interrupted)
    code = cli.main(["new", "--repo", str(demo), "--plain", "--write"])
    assert code == 130
    assert "no changes were made" in capsys.readouterr().err
    after = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()}
    assert after == before


def test_plain_cli_writes_with_write(demo: Path, monkeypatch, capsys):
    def scripted(repo, env=None):
        with create_pipe_input() as inp:
            inp.send_text(FULL_KEYS)
            return REAL_ASK(repo, env=env, input=inp, output=DummyOutput())

    monkeypatch.setattr(prompts, "ask_new_spec", scripted)
    assert cli.main(["new", "--repo", str(demo), "--plain", "--write", "--format", "json"]) == 0
    assert (demo / "namespaces" / "redis-cache" / "helm-release.yaml").exists()
    assert "redis-cache-monitoring" in (demo / "clusters" / "staging" / "infrastructure.yaml").read_text()
