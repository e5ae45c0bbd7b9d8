"""Which settings may act: a repo's ``.infra-tui.yaml`` is untrusted input (direnv's model).

A repo the user did not write (a teammate's branch, a public example, a fork) must not make
infra-tui run a local program or reach a host of the repo's choosing. So the keys of
``clusters.<env>`` that do that (``GATED_KEYS``: ``ssh_config`` alone can name a ``ProxyCommand``)
apply only after the user trusted that file's exact bytes, once: ``infra-tui trust`` or the TUI's
confirmation record the file's path and sha256 in ``<user config dir>/trusted.json``. A changed
file is untrusted again. Everything else in it (rule tables, ``poll_interval``,
``kubernetes_version``) runs nothing and applies without trust.

Trusted without asking: the user's own ``<user config dir>/config.yaml`` (same shape, merged
under the repo's file), a file named by ``INFRA_TUI_CONFIG``, command-line flags and
``~/.ssh/config``. The user config dir is ``$INFRA_TUI_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/infra-tui``, else ``~/.config/infra-tui``.

Pure: reads and writes files in the user's config dir, no subprocess, no Textual.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra_tui.core.settings import (
    CONFIG_ENV,
    SETTINGS_FILE,
    ClusterSettings,
    Settings,
    read_settings_file,
)
from infra_tui.core.user_dirs import user_dir
from infra_tui.errors import UserError

CONFIG_DIR_ENV = "INFRA_TUI_CONFIG_DIR"
"""Environment variable naming the user config dir (tests point it at a temp dir)."""
USER_CONFIG_FILE = "config.yaml"
TRUST_FILE = "trusted.json"

GATED_KEYS = ("host", "port", "user", "identity_file", "known_hosts_file", "ssh_config", "kubectl", "context")
"""``clusters.<env>`` keys that reach the network or local programs: they apply from a repo's file
only once it is trusted. ``port`` and ``user`` say where and as whom to log in, so they go with
``host``."""
_PATH_KEYS = ("identity_file", "known_hosts_file", "ssh_config")
_DEFAULTS = ClusterSettings()


def user_config_dir() -> Path:
    """``$INFRA_TUI_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/infra-tui``, else ``~/.config/infra-tui``."""
    return user_dir(CONFIG_DIR_ENV, "XDG_CONFIG_HOME", ".config")


def digest(data: bytes) -> str:
    """The hash a trust is recorded under: sha256 of the file's exact bytes."""
    return hashlib.sha256(data).hexdigest()


def _key(path: Path) -> str:
    return str(path.resolve())


def _records() -> dict[str, Any]:
    path = user_config_dir() / TRUST_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot read the trust records: {exc}; fix or remove the file", file=str(path)
        ) from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    return files if isinstance(files, dict) else {}


def recorded_digest(path: Path) -> str | None:
    """The sha256 the user trusted for this settings file, or ``None`` if never trusted."""
    entry = _records().get(_key(path))
    return entry.get("sha256") if isinstance(entry, dict) else None


def is_trusted(path: Path, data: bytes) -> bool:
    return recorded_digest(path) == digest(data)


def record_trust(path: Path, data: bytes) -> Path:
    """Trust ``path`` with exactly these bytes; returns the trust file. Written atomically, 0600."""
    return _write_records({**_records(), _key(path): {"sha256": digest(data), "trusted_at": _now()}})


def revoke_trust(path: Path) -> bool:
    """Forget the trust of ``path``; ``True`` if there was one."""
    records = _records()
    if records.pop(_key(path), None) is None:
        return False
    _write_records(records)
    return True


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_records(records: dict[str, Any]) -> Path:
    folder = user_config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / TRUST_FILE
    fd, tmp = tempfile.mkstemp(prefix=".trusted-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "files": records}, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# ------------------------------------------------------------------ effective settings


@dataclass(frozen=True)
class RepoSettingsFile:
    """A repo's settings file as read, before trust is applied."""

    path: Path
    data: bytes
    settings: Settings
    trusted: bool
    changed: bool
    """It was trusted once with other bytes (edited since)."""

    def gated(self) -> dict[str, Any]:
        """``clusters.<env>.<key>`` -> value, for every gated key the file sets."""
        out: dict[str, Any] = {}
        for env, cluster in self.settings.clusters.items():
            for key in GATED_KEYS:
                value = getattr(cluster, key)
                if value != getattr(_DEFAULTS, key):
                    out[f"clusters.{env}.{key}"] = value
        return out


def read_repo_settings(repo_root: str | os.PathLike[str] | None) -> RepoSettingsFile | None:
    """The repo's ``.infra-tui.yaml`` with its trust state; ``None`` when there is none."""
    if repo_root is None:
        return None
    path = Path(repo_root) / SETTINGS_FILE
    read = read_settings_file(path)
    if read is None:
        return None
    settings, data = read
    settings = _relative_to(settings, path.parent)
    recorded = recorded_digest(path)
    trusted = recorded == digest(data)
    return RepoSettingsFile(path, data, settings, trusted, changed=recorded is not None and not trusted)


def effective_settings(repo_root: str | os.PathLike[str] | None) -> Settings:
    """What applies for the repo at ``repo_root``: the user's config, with the repo's file over it
    (its gated keys only if trusted; those left out are in ``Settings.ignored``, and ``notice``
    says so). ``INFRA_TUI_CONFIG`` names a file to use instead of the repo's: the user chose it,
    so it is trusted."""
    user = _user_settings()
    named = os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named).expanduser()
        read = read_settings_file(path)
        if read is None:
            raise UserError(f"{CONFIG_ENV} names {path}, which does not exist")
        return merge(user, read[0])
    repo = read_repo_settings(repo_root)
    if repo is None:
        return user
    if repo.trusted:
        return merge(user, repo.settings)
    ignored = tuple(repo.gated())
    settings = merge(user, _without_gated(repo.settings))
    if not ignored:
        return settings
    return dataclasses.replace(settings, ignored=ignored, untrusted="changed" if repo.changed else "new")


def notice(settings: Settings, env: str | None, overridden: Iterable[str] = ()) -> str | None:
    """One line saying which keys of ``env`` were ignored and how to apply them, or ``None``.

    ``overridden``: ``ClusterSettings`` fields a flag set (their ignored keys do not matter)."""
    keys = ignored_for_env(settings, env, overridden)
    if not keys:
        return None
    why = "changed since it was trusted" if settings.untrusted == "changed" else "not trusted yet"
    return (
        f"{settings.path} is {why}: ignored {', '.join(keys)} (they reach the network or run local "
        "programs); review the file, then run `infra-tui trust` to apply them"
    )


def ignored_for_env(settings: Settings, env: str | None, overridden: Iterable[str] = ()) -> list[str]:
    """The ignored keys that concern ``env`` (every env when ``None``), less those a flag set."""
    skip = set(overridden)
    return [
        k for k in settings.ignored
        if (env is None or k.startswith(f"clusters.{env}.")) and k.rsplit(".", 1)[1] not in skip
    ]  # fmt: skip


def _user_settings() -> Settings:
    read = read_settings_file(user_config_dir() / USER_CONFIG_FILE)
    return read[0] if read else Settings()


def _relative_to(settings: Settings, base: Path) -> Settings:
    """Relative file paths in a repo's file mean files of that repo, whatever the cwd."""
    clusters = {}
    for env, cluster in settings.clusters.items():
        fixed = {
            k: str(base / v)
            for k in _PATH_KEYS
            if (v := getattr(cluster, k)) and not os.path.isabs(v) and v != os.devnull
        }
        clusters[env] = cluster.override(**fixed)
    return dataclasses.replace(settings, clusters=clusters)


def _without_gated(settings: Settings) -> Settings:
    gated = {k: getattr(_DEFAULTS, k) for k in GATED_KEYS}
    return dataclasses.replace(
        settings, clusters={env: dataclasses.replace(c, **gated) for env, c in settings.clusters.items()}
    )


def merge(base: Settings, top: Settings) -> Settings:
    """``top`` over ``base``: per env, every key ``top`` sets (differs from the default) wins; rule
    tables: lists are joined, anything else from ``top`` wins."""
    clusters = dict(base.clusters)
    for env, cluster in top.clusters.items():
        under = clusters.get(env, ClusterSettings())
        changes = {
            f.name: getattr(cluster, f.name)
            for f in dataclasses.fields(ClusterSettings)
            if getattr(cluster, f.name) != getattr(_DEFAULTS, f.name)
        }
        clusters[env] = dataclasses.replace(under, **changes)
    rules = dict(base.rules)
    for key, value in top.rules.items():
        if isinstance(value, list) and isinstance(rules.get(key), list):
            rules[key] = [*rules[key], *value]
        else:
            rules[key] = value
    return dataclasses.replace(
        top,
        clusters=clusters,
        rules=rules,
        kubernetes_version=top.kubernetes_version or base.kubernetes_version,
    )
