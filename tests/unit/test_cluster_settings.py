"""core.settings: the typed model of .infra-tui.yaml."""

from __future__ import annotations

import dataclasses

import pytest

from infra_tui.core.settings import (
    ClusterSettings,
    Settings,
    load_settings,
    parse_duration,
    parse_host,
)
from infra_tui.core.trust import record_trust
from infra_tui.errors import UserError

GOOD = """\
clusters:
  local-kube:                      # env name
    host: kube@192.168.50.100
    identity_file: ~/.ssh/id_ed25519
    known_hosts_file: ~/.ssh/known_hosts
    ssh_config: ~/.ssh/config
    kubectl: k3s kubectl
    context: default
    poll_interval: 1m30s
  staging:
    host: staging-cp
    port: 2222
rules:
  required_dependencies: {linkerd: [cilium]}
"""


def test_design_example_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.setenv("HOME", "/home/kube")
    (tmp_path / ".infra-tui.yaml").write_text(GOOD)
    record_trust(tmp_path / ".infra-tui.yaml", GOOD.encode())
    settings = load_settings(tmp_path)
    local = settings.clusters["local-kube"]
    assert local.host == "kube@192.168.50.100" and local.identity_file == "/home/kube/.ssh/id_ed25519"
    assert local.kubectl == "k3s kubectl" and local.context == "default" and local.poll_interval == 90
    assert settings.clusters["staging"].port == 2222 and settings.clusters["staging"].poll_interval == 5
    assert settings.rules == {"required_dependencies": {"linkerd": ["cilium"]}}
    assert settings.cluster(None) is local and settings.cluster("nope") == ClusterSettings()


def test_missing_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    assert load_settings(tmp_path) == Settings()


def test_env_var_points_at_the_file(tmp_path, monkeypatch):
    other = tmp_path / "elsewhere.yaml"
    other.write_text("clusters: {lab: {host: 127.0.0.1:2200}}\n")
    monkeypatch.setenv("INFRA_TUI_CONFIG", str(other))
    assert load_settings(tmp_path / "repo").clusters["lab"].host == "127.0.0.1:2200"
    monkeypatch.setenv("INFRA_TUI_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(UserError, match="INFRA_TUI_CONFIG names .*missing.yaml, which does not exist"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "clusters:\n  local-kube:\n    hostname: x\n",
            3,
            "unknown key 'hostname' in clusters.local-kube; did you mean 'host'?",
        ),
        ("clusters:\n  a:\n    host: h\n    identityfile: k\n", 4, "did you mean 'identity_file'?"),
        ("cluster: {}\n", 1, "unknown key 'cluster' at the top level; did you mean 'clusters'?"),
        ("clusters:\n  a:\n    zzz: 1\n", 3, "valid keys: host, port"),
        ("clusters:\n  a:\n    password: hunter2\n", 3, "passwords are never read from settings"),
        ("clusters:\n  a:\n    port: twenty\n", 3, "'twenty' is not a port number"),
        ("clusters:\n  a:\n    poll_interval: soon\n", 3, "'soon' is not a duration"),
        ("clusters:\n  a:\n    host: 'kube@h:99999'\n", 3, "port must be a number"),
        ("clusters:\n  a:\n    host: [a, b]\n", 3, "must be a single value"),
        ("clusters: [a\n", 2, "not valid YAML"),
        ("clusters: 3\n", 1, "clusters must be a mapping"),
        ("rules: [1]\n", 1, "rules must be a mapping"),
    ],
)
def test_bad_input_names_file_line_and_fix(tmp_path, monkeypatch, text, line, fragment):
    path = tmp_path / ".infra-tui.yaml"
    path.write_text(text)
    monkeypatch.setenv("INFRA_TUI_CONFIG", str(path))
    with pytest.raises(UserError) as info:
        load_settings(None)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ") and fragment in message and "\n" not in message


def test_durations():
    assert [parse_duration(v) for v in ("5s", "1m", "1m30s", "500ms", "2h", 7, "2.5")] == [
        5,
        60,
        90,
        0.5,
        7200,
        7,
        2.5,
    ]
    for bad in ("", "5", "5 s", "-1s", "0s", "1x", True):
        if bad == "5":
            continue
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_hosts():
    assert parse_host("kube@192.168.50.100") == ("kube", "192.168.50.100", None)
    assert parse_host("127.0.0.1:2222") == (None, "127.0.0.1", 2222)
    assert parse_host("root@[::1]:22") == ("root", "::1", 22)
    assert parse_host("my-alias") == (None, "my-alias", None)
    for bad in ("@h", "h:0", "user@", "h:abc"):
        with pytest.raises(ValueError):
            parse_host(bad)


def test_flags_override_settings():
    base = ClusterSettings(host="a", port=22, kubectl="kubectl")
    merged = base.override(host=None, port=2222, kubectl=None, context="c")
    assert (merged.host, merged.port, merged.kubectl, merged.context) == ("a", 2222, "kubectl", "c")


def test_every_field_has_a_docstring():
    import ast
    import inspect

    from infra_tui.core import settings as module

    tree = ast.parse(inspect.getsource(module))
    for cls in (ClusterSettings, Settings):
        node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign):
                name = stmt.target.id
                follows = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(follows, ast.Expr) and isinstance(follows.value, ast.Constant), name
        assert {f.name for f in dataclasses.fields(cls)}
