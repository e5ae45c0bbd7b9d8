"""``infra-tui status``: Flux Kustomizations and HelmReleases of a cluster, read-only over SSH.

Settings come from the repo's ``.infra-tui.yaml`` (``clusters.<env>``), flags override them.
Exit codes: 0 status shown; 1 the cluster could not be read (unreachable, timeout, garbage);
2 bad input or setup (no host, unknown host key, refused login, missing ssh/sshpass).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from infra_tui.commands.ssh_flags import add_ssh_arguments, ssh_overrides
from infra_tui.core import trust
from infra_tui.core.settings import ClusterSettings, Settings, load_settings, parse_duration
from infra_tui.core.troubleshoot import GitHelmRelease, git_helmreleases
from infra_tui.errors import UserError
from infra_tui.services.cluster import (
    ClusterSnapshot,
    Drift,
    JsonFileSource,
    KsStatus,
    Poller,
    PollState,
    StatusError,
    StatusSource,
    cause_chain,
    changes,
    drift,
    root_cause_lines,
    ssh_source,
)
from infra_tui.services.proc import CommandNotFound
from infra_tui.services.ssh import (
    AuthError,
    DisallowedCommand,
    HostKeyError,
    SshError,
    SshTarget,
    password_from,
)

NAME = "status"
HELP = "read-only Flux status (Kustomizations, HelmReleases) of the cluster over SSH (or from a saved kubectl JSON)"

STATE_STYLE = {
    "ready": "green",
    "progressing": "cyan",
    "waiting": "yellow",
    "failed": "bold red",
    "stalled": "bold magenta",
    "suspended": "dim",
    "unknown": "dim italic",
}
MESSAGE_CHARS = 160
SETUP_ERRORS = (HostKeyError, AuthError, DisallowedCommand, CommandNotFound)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_ssh_arguments(p)
    p.add_argument(
        "--password-prompt",
        action="store_true",
        help="ask for the SSH password (else only INFRA_TUI_SSH_PASSWORD is used; never stored)",
    )
    p.add_argument("--watch", action="store_true", help="keep polling; Ctrl-C to stop")
    p.add_argument(
        "--interval", metavar="S", help="poll interval for --watch (5s, 1m; default: settings or 5s)"
    )
    p.add_argument("--timeout", metavar="S", default="20s", help="per-poll timeout (default 20s)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--from-json", metavar="FILE", help="read saved `kubectl get kustomizations -A -o json` output"
    )


# ------------------------------------------------------------------ repo, settings, source


def find_repo_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``clusters/``."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / "clusters").is_dir():
            return candidate
    return None


def _repo_root(args: argparse.Namespace) -> Path | None:
    if getattr(args, "repo", None):
        root = Path(args.repo)
        if not root.is_dir():
            raise UserError(f"--repo {root}: no such directory")
        return root.resolve()
    return find_repo_root(Path.cwd())


def _env_name(args: argparse.Namespace, settings: Settings, root: Path | None) -> str | None:
    if args.env:
        return str(args.env)
    if "local-kube" in settings.clusters:
        return "local-kube"
    if settings.clusters:
        return next(iter(settings.clusters))
    if root is not None and (root / "clusters").is_dir():
        envs = sorted(
            d.name for d in (root / "clusters").iterdir() if d.is_dir() and not d.name.startswith(".")
        )
        return "local-kube" if "local-kube" in envs else (envs[0] if envs else None)
    return None


def _duration(flag: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None


def cluster_settings(args: argparse.Namespace, settings: Settings, env: str | None) -> ClusterSettings:
    """``clusters.<env>`` from the settings file with every given flag applied on top."""
    base = settings.clusters.get(env, ClusterSettings()) if env else ClusterSettings()
    return base.override(**ssh_overrides(args), poll_interval=_duration("--interval", args.interval))


def build_source(
    args: argparse.Namespace, cluster: ClusterSettings, env: str | None, timeout: float
) -> StatusSource:
    if args.from_json:
        if not Path(args.from_json).is_file():  # bad input, not a failed fetch
            raise UserError(
                f"--from-json {args.from_json}: no such file; name a saved `kubectl get kustomizations -A -o json`"
            )
        return JsonFileSource(args.from_json)
    if not cluster.host:
        where = f"clusters.{env}.host" if env else "clusters.<env>.host"
        raise UserError(
            f"no cluster host: pass --host USER@HOST[:PORT] (or an ssh config alias), or set {where} in .infra-tui.yaml"
        )
    try:
        shown = SshTarget.from_settings(cluster).display
        password = password_from(prompt=args.password_prompt, target=shown)
        return ssh_source(
            cluster, accept_new_host_key=args.accept_new_host_key, password=password, timeout=timeout
        )
    except ValueError as exc:
        raise UserError(f"--host: {exc}") from None


@dataclass
class GitSide:
    """What drift compares the cluster with, read from the repo once."""

    depends_on: dict[str, list[str]]
    helmreleases: dict[str, GitHelmRelease]


def read_git_side(root: Path | None, env: str | None) -> tuple[GitSide | None, str | None]:
    """The repo's Kustomizations and HelmReleases of ``env``, or ``None`` and why not."""
    if root is None or env is None or not (root / "clusters").is_dir():
        return None, "no repo found: drift not computed"
    try:
        from infra_tui.core import repo as repo_mod

        repo = repo_mod.load(root)
        kss = repo.env(env).kustomizations
        return GitSide({k.id: k.depends_on_ids for k in kss}, git_helmreleases(repo, env)), None
    except (UserError, KeyError) as exc:
        return None, f"drift not computed: {exc}"


def compare(git: GitSide | None, snapshot: ClusterSnapshot) -> Drift:
    """Map the snapshot's HelmReleases to their Kustomizations in Git and compare both sides."""
    if git is None:
        return Drift()
    snapshot.map_helmreleases(git.helmreleases)
    return drift(snapshot, git.depends_on, git.helmreleases)


def repo_drift(root: Path | None, env: str | None, snapshot: ClusterSnapshot) -> tuple[Drift, str | None]:
    """Drift against the repo's env, or an empty one and why it could not be computed."""
    git, note = read_git_side(root, env)
    return compare(git, snapshot), note


# ------------------------------------------------------------------ rendering


def _label(k: KsStatus) -> str:
    return k.name if k.namespace == "flux-system" else k.id


def render(
    snapshot: ClusterSnapshot | None,
    d: Drift | None,
    state: PollState | None = None,
    width: int = 120,
    recent: list[str] | None = None,
) -> Group:
    """The status as rich renderables; below 120 columns the REVISION column is left out.
    ``recent``: the last changes seen while watching, newest last."""
    parts: list[Any] = []
    if snapshot is not None:
        counts = snapshot.counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        head = Text(f"{snapshot.source}  ", style="bold")
        head.append(f"fetched {snapshot.fetched_at.strftime('%Y-%m-%d %H:%M:%S UTC')}  ", style="dim")
        head.append(summary or "no Kustomizations")
        parts.append(head)
    if state is not None and state.stale_since is not None:
        since = state.stale_since.strftime("%H:%M:%S UTC")
        parts.append(
            Text(f"stale since {since}: {state.error} (retry in {state.next_delay:g}s)", style="bold yellow")
        )
    if snapshot is not None:
        table = Table(box=None, pad_edge=False, show_edge=False)
        table.add_column("KUSTOMIZATION", no_wrap=True, overflow="ellipsis", max_width=32)
        table.add_column("STATE", no_wrap=True, min_width=11)
        table.add_column("REASON", no_wrap=True, overflow="ellipsis", max_width=18)
        wide = width >= 120
        if wide:
            table.add_column("REVISION", no_wrap=True, overflow="ellipsis", max_width=14)
        table.add_column("MESSAGE", overflow="fold", min_width=24, ratio=1)
        for k in snapshot.items:
            revision = (k.revision or "").split("@sha1:")
            rev = revision[0] + ("@" + revision[1][:7] if len(revision) > 1 else "")
            message = k.message or ""
            if k.root_cause:
                message = f"(root cause: {k.root_cause}) {message}"
            elif snapshot.failing_helmrelease(k.id) is not None:
                message = cause_chain(snapshot, k.id) or message
            if len(message) > MESSAGE_CHARS:
                message = message[: MESSAGE_CHARS - 1] + "…"
            cells: list[RenderableType] = [
                _label(k),
                Text(k.state, style=STATE_STYLE.get(k.state, "")),
                k.reason or "",
            ]
            table.add_row(*cells, *([rev] if wide else []), message)
        parts.append(table)
        if snapshot.helmreleases:
            parts.append(_helmrelease_table(snapshot, wide))
        for line in root_cause_lines(snapshot):
            parts.append(Text(line, style="yellow", no_wrap=True, overflow="ellipsis"))
        for note in snapshot.notes:
            parts.append(Text(note, style="dim"))
    if d:
        for line in d.lines():
            parts.append(Text(line, style="magenta"))
    if recent:
        parts.append(Text("changes while watching:", style="bold"))
        parts.extend(Text(f"  {line}", style="cyan") for line in recent)
    return Group(*parts)


def _helmrelease_table(snapshot: ClusterSnapshot, wide: bool) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("HELMRELEASE", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("STATE", no_wrap=True, min_width=11)
    table.add_column("KUSTOMIZATION", no_wrap=True, overflow="ellipsis", max_width=24)
    if wide:
        table.add_column("CHART", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("MESSAGE", overflow="fold", min_width=24, ratio=1)
    for h in snapshot.helmreleases:
        chart = (
            f"{h.chart or ''}@{h.chart_version}" if h.chart_version else (f"{h.chart or ''} (none deployed)")
        )
        message = h.cause() if h.state not in ("ready", "progressing") else (h.message or "")
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 1] + "…"
        cells: list[RenderableType] = [
            h.id,
            Text(h.state, style=STATE_STYLE.get(h.state, "")),
            _label_id(h.kustomization),
        ]
        table.add_row(*cells, *([chart] if wide else []), message)
    return table


def _label_id(node_id: str | None) -> str:
    return (node_id or "-").removeprefix("flux-system/")


def _json(
    snapshot: ClusterSnapshot,
    d: Drift,
    state: PollState | None = None,
    note: str | None = None,
    changed: list[str] | None = None,
) -> str:
    doc = snapshot.to_json(d)
    if note:
        doc["notes"] = [*doc.get("notes", []), note]
    if changed is not None:
        doc["changes"] = changed
    if state is not None:
        doc["stale_since"] = state.stale_since.isoformat() if state.stale_since else None
        doc["error"] = state.error
    return json.dumps(doc, indent=None if state is not None else 2)


# ------------------------------------------------------------------ run


def _fail(exc: Exception) -> UserError:
    if isinstance(exc, SETUP_ERRORS):
        return UserError(str(exc), exit_code=2)
    return UserError(str(exc), exit_code=1)


async def _once(source: StatusSource, args: argparse.Namespace, root: Path | None, env: str | None) -> int:
    try:
        snapshot = await source.fetch()
    except (SshError, StatusError, CommandNotFound) as exc:
        raise _fail(exc) from None
    d, note = repo_drift(root, env, snapshot)
    if args.format == "json":
        print(_json(snapshot, d, note=note))
    else:
        console = Console()
        console.print(render(snapshot, d, width=console.width))
        if note and os.environ.get("INFRA_TUI_DEBUG"):
            print(note, file=sys.stderr)
    return 0


async def _watch(
    source: StatusSource,
    args: argparse.Namespace,
    root: Path | None,
    env: str | None,
    interval: float,
    timeout: float,
) -> int:
    console = Console()
    git, git_note = read_git_side(root, env)  # the repo does not change while watching
    seen: dict[str, Any] = {"last": None, "recent": []}

    def drift_for(snapshot: ClusterSnapshot) -> tuple[Drift, str | None]:
        return compare(git, snapshot), git_note

    def changed_since_last(snapshot: ClusterSnapshot) -> list[str]:
        if seen["last"] is snapshot:
            return []
        lines = changes(seen["last"], snapshot)
        seen["last"] = snapshot
        stamp = snapshot.fetched_at.strftime("%H:%M:%S")
        seen["recent"] = (seen["recent"] + [f"{stamp} {line}" for line in lines])[-8:]
        return lines

    if args.format == "json":

        def emit(state: PollState) -> None:
            if isinstance(state.error, str) and state.snapshot is None:
                print(
                    json.dumps({"source": source.source, "error": state.error, "stale_since": None}),
                    flush=True,
                )
                return
            if state.snapshot is not None:
                d, note = drift_for(state.snapshot)
                print(_json(state.snapshot, d, state, note, changed_since_last(state.snapshot)), flush=True)

        poller = Poller(source, interval, timeout=timeout + 5, on_update=emit)
        await poller.run()
        return 0

    with Live(Text(f"connecting to {source.source} ..."), console=console, auto_refresh=False) as live:

        def show(state: PollState) -> None:
            d = drift_for(state.snapshot)[0] if state.snapshot else None
            if state.snapshot is not None:
                changed_since_last(state.snapshot)
            if state.snapshot is None and state.error:
                live.update(
                    Text(f"{source.source}: {state.error} (retry in {state.next_delay:g}s)", style="bold red")
                )
            else:
                live.update(render(state.snapshot, d, state, width=console.width, recent=seen["recent"]))
            live.refresh()

        poller = Poller(source, interval, timeout=timeout + 5, on_update=show)
        await poller.run()
    return 0


async def _main(args: argparse.Namespace) -> int:
    root = _repo_root(args)
    settings = load_settings(root)
    env = _env_name(args, settings, root)
    cluster = cluster_settings(args, settings, env)
    if not args.from_json:
        untrusted = trust.notice(
            settings, env, overridden=[k for k, v in ssh_overrides(args).items() if v is not None]
        )
        if untrusted and not cluster.host:
            raise UserError(untrusted)
        if untrusted:
            print(f"infra-tui: {untrusted}", file=sys.stderr)
    timeout = _duration("--timeout", args.timeout) or 20.0
    source = build_source(args, cluster, env, timeout)
    try:
        if args.watch:
            return await _watch(source, args, root, env, cluster.poll_interval, timeout)
        return await _once(source, args, root, env)
    finally:
        await source.close()


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 0 if args.watch else 130
