"""Typed model of the repo settings file ``.infra-tui.yaml`` (DESIGN.md "Repo settings").

Pure: reads YAML files, no Textual, no subprocess. Flags override what is read here
(``ClusterSettings.override``). ``INFRA_TUI_CONFIG`` may name the file instead (tests use it).
Which keys of a repo's file apply depends on trust: see ``core.trust``.
Passwords are never read from this file: only from the environment or a prompt.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra_tui.core import rule_tables, yamlio
from infra_tui.core.tui_flags import WatchRequest as WatchRequest  # re-exported: defined there
from infra_tui.core.tui_flags import parse_duration as parse_duration  # used here, and re-exported
from infra_tui.errors import UserError

SETTINGS_FILE = ".infra-tui.yaml"
CONFIG_ENV = "INFRA_TUI_CONFIG"
"""Environment variable naming a settings file to use instead of ``<repo>/.infra-tui.yaml``."""
DEFAULT_POLL_INTERVAL = 5.0

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ClusterSettings:
    """How to reach one env's cluster, read-only, over SSH."""

    host: str | None = None
    """``user@host[:port]``, ``host``, or an alias from the ssh config."""
    port: int | None = None
    """SSH port; overrides a ``:port`` in ``host``. ``None``: the ssh config's or 22."""
    user: str | None = None
    """Login user; overrides a ``user@`` in ``host``. ``None``: the ssh config's or the local user."""
    identity_file: str | None = None
    """Private key passed to ``ssh -i`` (``~`` expanded). The agent is still used."""
    known_hosts_file: str | None = None
    """``UserKnownHostsFile``; ``None``: the ssh config's or ``~/.ssh/known_hosts``."""
    ssh_config: str | None = None
    """ssh client config passed to ``ssh -F``; ``None``: the user's ``~/.ssh/config``."""
    kubectl: str = "kubectl"
    """Remote kubectl command: ``kubectl``, a path to it, or ``k3s kubectl`` / ``microk8s kubectl``."""
    context: str | None = None
    """Remote kube context (``kubectl --context``); ``None``: the remote current context."""
    poll_interval: float = DEFAULT_POLL_INTERVAL
    """Seconds between status polls (the file may say ``5s``, ``1m``, ``1m30s``, ``500ms``)."""

    def override(self, **flags: Any) -> ClusterSettings:
        """A copy with every flag that is not ``None`` applied (command-line flags win)."""
        return dataclasses.replace(self, **{k: v for k, v in flags.items() if v is not None})


@dataclass(frozen=True)
class Settings:
    """Everything in ``.infra-tui.yaml``."""

    clusters: dict[str, ClusterSettings] = field(default_factory=dict)
    """Per env name (``clusters/<env>/``): how to reach that cluster."""
    rules: dict[str, Any] = field(default_factory=dict)
    """Additions to ``templates/rules.yaml``, passed as-is to the lint engine."""
    path: Path | None = None
    """The file these settings were read from; ``None``: no file, defaults only."""
    ignored: tuple[str, ...] = ()
    """``clusters.<env>.<key>`` of an untrusted repo file that were left out (``core.trust``)."""
    untrusted: str | None = None
    """Why ``ignored`` is not empty: ``"new"`` (never trusted) or ``"changed"`` (edited since)."""
    kubernetes_version: str | None = None
    """Kubernetes minor (``"1.32"``) whose schemas offline validation uses; ``None``: the default."""

    def cluster(self, env: str | None) -> ClusterSettings:
        """The settings of ``env`` (or of the only/first env when ``None``); defaults if absent."""
        if env is None:
            if "local-kube" in self.clusters:
                return self.clusters["local-kube"]
            return next(iter(self.clusters.values()), ClusterSettings())
        return self.clusters.get(env, ClusterSettings())


_CLUSTER_FIELDS = {f.name: f for f in dataclasses.fields(ClusterSettings)}
_TOP_KEYS = ("clusters", "rules", "kubernetes_version")


def parse_host(spec: str) -> tuple[str | None, str, int | None]:
    """``user@host:port`` -> ``(user, host, port)``; also ``host``, ``user@host``, ``[::1]:2222``.

    Raises ``ValueError`` on an empty host or a bad port."""
    user: str | None = None
    rest = spec.strip()
    if "@" in rest:
        user, rest = rest.rsplit("@", 1)
        if not user:
            raise ValueError(f"{spec!r}: empty user before '@'")
    port: int | None = None
    if rest.startswith("["):  # [v6addr]:port
        host, _, tail = rest[1:].partition("]")
        if tail:
            if not tail.startswith(":"):
                raise ValueError(f"{spec!r}: expected ':PORT' after ']'")
            port_text = tail[1:]
            port = _port(port_text, spec)
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
        port = _port(port_text, spec)
    else:
        host = rest  # plain name, or a bare IPv6 address without a port
    if not host:
        raise ValueError(f"{spec!r}: empty host")
    return user, host, port


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{spec!r}: port must be a number from 1 to 65535")
    return int(text)


def load_settings(repo_root: str | os.PathLike[str] | None) -> Settings:
    """The settings that apply for the repo at ``repo_root``: the user's config with the repo's
    file (or ``$INFRA_TUI_CONFIG``) over it; an untrusted repo file's keys that reach the network
    or local programs are left out (``core.trust``). Defaults if there is no file.

    Bad input raises ``UserError`` naming the file, the line and what to do (for an unknown key:
    the closest valid one)."""
    from infra_tui.core.trust import effective_settings  # trust builds on this module

    return effective_settings(repo_root)


def read_settings_file(path: Path) -> tuple[Settings, bytes] | None:
    """Parse one settings file, exactly as it is; ``None`` if it does not exist. No trust applied."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read settings: {exc.strerror or exc}", file=str(path)) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"cannot read settings: not UTF-8 ({exc.reason} at byte {exc.start})", file=str(path)
        ) from exc
    return parse_settings(text, str(path)), data


def parse_settings(text: str, file: str) -> Settings:
    """Parse the text of a settings file; ``file`` is used in messages."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"not valid YAML: {problem}", file=file, line=line) from exc
    if root is None:
        return Settings(path=Path(file))
    try:
        yamlio.check_aliases(root)
    except yamlio.YamlRefused as exc:
        raise UserError(exc.message(1), file=file, line=exc.lines0[-1] + 1) from None
    top = _mapping(root, file, "the top level")
    clusters: dict[str, ClusterSettings] = {}
    rules: dict[str, Any] = {}
    kubernetes_version: str | None = None
    for key_node, value_node in top:
        key = _key(key_node, file)
        if key == "clusters":
            if _is_null(value_node):
                continue
            for env_node, cluster_node in _mapping(value_node, file, "clusters"):
                env = _key(env_node, file)
                clusters[env] = _cluster(env, cluster_node, file)
        elif key == "rules":
            if not _is_null(value_node):
                rule_tables.check(value_node, file)
            value = yaml.load(yaml.serialize(value_node), Loader=_Loader) if not _is_null(value_node) else {}
            if not isinstance(value, dict):
                raise UserError(
                    "rules must be a mapping (additions to the rule tables)",
                    file=file,
                    line=_line(value_node),
                )
            rules = value
        elif key == "kubernetes_version":
            if not _is_null(value_node):
                if not isinstance(value_node, yaml.ScalarNode) or not re.fullmatch(
                    r"v?\d+\.\d+(\.\d+)?", value_node.value
                ):
                    raise UserError('kubernetes_version must be a Kubernetes version such as "1.32"', file=file,
                                    line=_line(value_node))  # fmt: skip
                kubernetes_version = value_node.value
        else:
            raise _unknown(key, _TOP_KEYS, "at the top level", file, key_node)
    return Settings(clusters=clusters, rules=rules, path=Path(file), kubernetes_version=kubernetes_version)


def _cluster(env: str, node: yaml.Node, file: str) -> ClusterSettings:
    if _is_null(node):
        return ClusterSettings()
    values: dict[str, Any] = {}
    for key_node, value_node in _mapping(node, file, f"clusters.{env}"):
        key = _key(key_node, file)
        line = _line(key_node)
        if key in {"password", "pass", "passwd", "sshpass"}:
            raise UserError(
                f"clusters.{env}.{key}: passwords are never read from settings; set "
                "INFRA_TUI_SSH_PASSWORD in the environment or pass --password-prompt",
                file=file,
                line=line,
            )
        if key not in _CLUSTER_FIELDS:
            raise _unknown(key, tuple(_CLUSTER_FIELDS), f"in clusters.{env}", file, key_node)
        if _is_null(value_node):
            continue
        if not isinstance(value_node, yaml.ScalarNode):
            raise UserError(f"clusters.{env}.{key} must be a single value", file=file, line=line)
        raw = yaml.load(yaml.serialize(value_node), Loader=_Loader)
        try:
            values[key] = _convert(key, raw)
        except ValueError as exc:
            raise UserError(f"clusters.{env}.{key}: {exc}", file=file, line=_line(value_node)) from exc
    return ClusterSettings(**values)


def _convert(key: str, raw: Any) -> Any:
    if key == "port":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 65536:
            raise ValueError(f"{raw!r} is not a port number (1-65535)")
        return raw
    if key == "poll_interval":
        return parse_duration(raw)
    text = str(raw)
    if key in {"identity_file", "known_hosts_file", "ssh_config"}:
        return os.path.expanduser(text)
    if key == "host":
        parse_host(text)  # validate early, keep the user's spelling
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _mapping(node: yaml.Node, file: str, where: str) -> list[tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise UserError(f"{where} must be a mapping", file=file, line=_line(node))
    return list(node.value)


def _key(node: yaml.Node, file: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise UserError("keys must be plain names", file=file, line=_line(node))
    return str(node.value)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _unknown(key: str, valid: tuple[str, ...], where: str, file: str, node: yaml.Node) -> UserError:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(valid)
    return UserError(f"unknown key '{key}' {where}; {hint}", file=file, line=_line(node))
