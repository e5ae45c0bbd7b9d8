"""Component spec parsing: every problem found at once, with the closest key suggested."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_tui.core import spec as spec_mod
from infra_tui.errors import UserError

GOOD = {
    "name": "redis-cache",
    "chart": {
        "name": "redis",
        "version": "19.x",
        "repository": {"name": "bitnami", "url": "https://charts.bitnami.com/bitnami"},
    },
}


def problems(data) -> list[str]:
    return [str(p) for p in spec_mod.parse(data).problems]


def test_minimal_spec_parses_with_defaults_unstated():
    s = spec_mod.parse(GOOD)
    assert s.problems == []
    assert s.namespace is None and s.target_namespace == "redis-cache"
    assert s.chart.version == "19.x" and s.chart.repository.name == "bitnami"
    assert s.webhook is None and s.timeout is None and s.envs == []
    assert s.to_dict() == GOOD


def test_full_spec_round_trips_through_to_dict():
    data = {
        **GOOD,
        "namespace": "cache",
        "envs": ["local-kube", "staging"],
        "values": {"replicas": 2},
        "env_values": {"staging": {"replicas": 1}},
        "timeout": "10m",
        "webhook": False,
        "creates": ["RecurringJob"],
        "monitoring": {"serviceMonitor": True, "prometheusRule": False},
        "dependsOn": ["cilium", "flux-system/cert-manager"],
    }
    s = spec_mod.parse(data)
    assert s.problems == []
    assert spec_mod.parse(s.to_dict()) == s


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Redis", "not a DNS-1123 label"),
        ("redis_cache", "try 'redis-cache'"),
        ("-x", "DNS-1123"),
        ("a" * 64, "at most 63"),
        ("", "required"),
    ],
)
def test_name_must_be_dns1123(name, fragment):
    assert any(fragment in p for p in problems({**GOOD, "name": name}))


def test_unknown_keys_are_named_with_the_closest_known_key():
    got = problems({**GOOD, "depends_on": ["x"], "valuez": {}, "chart": {**GOOD["chart"], "verison": "1"}})
    assert "depends_on: unknown key 'depends_on'; did you mean 'dependsOn'?" in got
    assert "valuez: unknown key 'valuez'; did you mean 'values'?" in got
    assert "chart.verison: unknown key 'verison'; did you mean 'version'?" in got


def test_unknown_key_without_a_close_one_lists_the_known_keys():
    (p,) = problems({**GOOD, "zzz": 1})
    assert "known keys: name, namespace" in p


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://charts.example.com", "plain http is not allowed"),
        ("ftp://x", "must start with https:// or oci://"),
        ("https://", "has no host"),
        ("charts.example.com", "must start with https://"),
    ],
)
def test_repository_url_must_be_https_or_oci(url, fragment):
    data = {**GOOD, "chart": {"name": "x", "repository": {"url": url}}}
    assert any(fragment in p for p in problems(data))


def test_oci_url_and_string_repository_shorthand():
    s = spec_mod.parse(
        {**GOOD, "chart": {"name": "podinfo", "repository": "oci://ghcr.io/stefanprodan/charts"}}
    )
    assert s.problems == [] and s.chart.repository.oci and s.chart.repository.name is None


def test_values_must_be_a_mapping():
    assert "values: must be a mapping of Helm values, not list" in problems({**GOOD, "values": [1, 2]})
    assert "env_values.staging: must be a mapping of Helm values, not str" in problems(
        {**GOOD, "env_values": {"staging": "x"}}
    )


def test_other_field_checks():
    got = problems(
        {
            **GOOD,
            "timeout": "ten minutes",
            "webhook": "yes",
            "creates": ["certificate"],
            "monitoring": {"serviceMonitor": "yes"},
            "namespace": "Bad_NS",
        }
    )
    assert any(p.startswith("timeout:") for p in got)
    assert "webhook: must be true or false" in got
    assert any("'certificate' is not a Kubernetes kind" in p for p in got)
    assert "monitoring.serviceMonitor: must be true or false" in got
    assert any(p.startswith("namespace:") for p in got)


def test_numbers_from_yaml_become_strings():
    s = spec_mod.parse({**GOOD, "chart": {**GOOD["chart"], "version": 19}})
    assert s.chart.version == "19"


def test_monitoring_true_means_both():
    s = spec_mod.parse({**GOOD, "monitoring": True})
    assert s.monitoring.service_monitor and s.monitoring.prometheus_rule


def test_long_name_with_monitoring_is_refused():
    name = "a" * 60
    assert any("would exceed 63" in p for p in problems({**GOOD, "name": name, "monitoring": True}))
    assert problems({**GOOD, "name": name}) == []


def test_missing_chart_and_not_a_mapping():
    assert problems({"name": "x"}) == ["chart: is required: {name, version, repository: {name, url}}"]
    assert problems(["x"]) == ["a component spec is a mapping with at least name and chart"]


def test_load_file_errors_are_one_line_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="cannot read the spec file"):
        spec_mod.load_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [x\n")
    with pytest.raises(UserError, match=r"bad.yaml:\d+: invalid YAML"):
        spec_mod.load_file(bad)
    two = tmp_path / "two.yaml"
    two.write_text("name: a\n---\nname: b\n")
    with pytest.raises(UserError, match="more than one YAML document"):
        spec_mod.load_file(two)


def test_closest_ignores_case_and_separators():
    assert spec_mod.closest("Depends-On", spec_mod.TOP_KEYS) == "dependsOn"
    assert spec_mod.closest("qqqq", spec_mod.TOP_KEYS) is None


def test_problems_of_a_spec_file_name_its_file_and_line(tmp_path):
    from infra_tui.core import spec as spec_mod

    f = tmp_path / "cache.yaml"
    f.write_text("name: Redis_Cache\nchart:\n  name: redis\n  repository:\n    url: http://x\nvalus: {}\n")
    problems = {p.key: p for p in spec_mod.load_file(f).problems}
    assert (problems["name"].line, problems["chart.repository.url"].line, problems["valus"].line) == (1, 5, 6)
    assert str(problems["valus"]) == f"{f}:6: valus: unknown key 'valus'; did you mean 'values'?"
