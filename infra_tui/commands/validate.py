"""``infra-tui validate``: kustomize build + dry-run of components, in parallel."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from infra_tui.core import validation as v
from infra_tui.core.settings import parse_duration
from infra_tui.errors import UserError

if TYPE_CHECKING:  # imported where used: start-up loads only what the command needs
    from rich.progress import Progress

    from infra_tui.core.model import Repo
    from infra_tui.core.settings import ClusterSettings
    from infra_tui.services.ssh import SshTransport

NAME = "validate"
HELP = "kustomize build + dry-run (offline schemas, local kube context, or over SSH) of components"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("components", nargs="*", metavar="COMPONENT",
                   help="component folder (namespaces/NAME or NAME) or Flux Kustomization name")  # fmt: skip
    p.add_argument("--all", action="store_true", help="every component of the repo")
    p.add_argument("--dry-run", choices=["offline", "local", "ssh"], default="offline",
                   help="offline: schemas, no cluster (default); local: current kube context; ssh: the control plane")  # fmt: skip
    p.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="N", help="parallel builds (default: CPU count)"
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--host", metavar="USER@HOST[:PORT]", help="for --dry-run ssh (default: .infra-tui.yaml)")
    p.add_argument(
        "--timeout", metavar="S", default="60s", help="per-component dry-run timeout (default 60s)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _load_repo(args: argparse.Namespace) -> Repo:
    from infra_tui.commands.context import load_repo, pick_env, refuse_bad_input

    repo = load_repo(args)
    pick_env(repo, args.env)  # a wrong --env is one clear line
    # broken YAML in a component is what validate reports per component; input the tool refuses
    # to read at all (alias bombs, duplicate keys, FIFOs) stops it here
    refuse_bad_input(repo, "validate", only_refused=True)
    return repo


def _crd_providers(repo: Repo, env: str | None) -> list[Any]:
    """lint's CRD providers for the env (so both give the same advice)."""
    try:
        from infra_tui.core.rules import provider_table

        return provider_table(repo, env)
    except Exception:  # without the tables CRD providers are simply not checked
        return []


def _cluster(args: argparse.Namespace, repo: Repo) -> ClusterSettings:
    return repo.settings.cluster(args.env).override(host=args.host)


def _transport(args: argparse.Namespace, repo: Repo) -> SshTransport:
    """The read-only SSH transport for ``--dry-run ssh``. No host (or only an untrusted one) is
    bad input: a dry-run that cannot run is never reported as one that passed."""
    from infra_tui.core import trust
    from infra_tui.services import ssh

    cluster = _cluster(args, repo)
    env = repo.env(args.env).name
    untrusted = trust.notice(repo.settings, env, overridden=["host"] if args.host else [])
    if cluster is None or not cluster.host:
        raise UserError(
            untrusted
            or f"--dry-run ssh needs a cluster: pass --host USER@HOST[:PORT] or set clusters.{env}.host in .infra-tui.yaml"
        )
    if untrusted:
        print(f"infra-tui: {untrusted}", file=sys.stderr)
    try:
        target = ssh.SshTarget.from_settings(cluster, password=ssh.password_from(prompt=False))
    except ValueError as exc:
        raise UserError(f"--host: {exc}") from exc
    return ssh.SshTransport(target)


def _progress(total: int, enabled: bool) -> Progress | None:
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("validate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"), console=Console(stderr=True), transient=True,
    )  # fmt: skip
    progress.add_task("validate", total=total, last="")
    return progress


def render_text(report: v.ValidationReport) -> str:
    lines = []
    for r in report.results:
        mark = "FAIL" if not r.ok else ("skip" if r.dry_run == "skipped" else "ok  ")
        lines.append(f"{mark} {r.component}  build={r.build} dry-run={r.dry_run} ({r.elapsed:.2f}s)")
        for issue in r.issues:
            lines.append(f"     {issue.kind}: {issue}")
        for note in r.notes:
            lines.append(f"     note: {note}")
    counts = report.counts()
    lines.append(
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped (dry-run did not run)"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from infra_tui.services import dryrun, kustomize

    if not args.components and not args.all:
        raise UserError("name one or more components, or pass --all")
    if args.jobs is not None and args.jobs < 1:
        raise UserError("--jobs must be 1 or more")
    repo = _load_repo(args)
    try:
        targets = v.targets_from_repo(repo, args.env, [] if args.all else args.components)
    except KeyError as exc:
        known = ", ".join(sorted(d.rsplit("/", 1)[-1] for d in repo.components)) or "none"
        raise UserError(
            f"no component or Kustomization named {exc.args[0]!r} (components: {known})"
        ) from None
    if not targets:
        raise UserError(
            f"{repo.root}: nothing this env deploys is built from the repo (no component to validate)"
        )
    try:
        timeout = parse_duration(args.timeout)
    except ValueError as exc:
        raise UserError(f"--timeout: {exc}") from None
    transport = _transport(args, repo) if args.dry_run == "ssh" else None
    options = dryrun.Options(
        dry_run_timeout=timeout,
        strategy=args.dry_run,
        crd_providers=_crd_providers(repo, args.env),
        kustomize_argv=kustomize.kustomize_argv(),
        kubectl=kustomize.kubectl_path() or "kubectl",
        transport=transport,
        kubernetes_version=getattr(getattr(repo, "settings", None), "kubernetes_version", None),
    )
    if options.transport is not None:
        options.remote_kubectl = _cluster(args, repo).kubectl
    show = not args.no_progress and sys.stderr.isatty()
    progress = _progress(len(targets), show)

    def on_result(r: v.ComponentResult) -> None:
        if progress is not None:
            progress.update(progress.task_ids[0], advance=1, last=r.component)

    async def main() -> v.ValidationReport:
        return await dryrun.validate_many(repo.root, targets, options, jobs=args.jobs or os.cpu_count(),
                                          on_result=on_result)  # fmt: skip

    try:
        if progress is not None:
            with progress:
                report = asyncio.run(main())
        else:
            report = asyncio.run(main())
    except dryrun.SSH_SETUP_ERRORS as exc:
        raise UserError(str(exc)) from None
    finally:
        if transport is not None:
            transport.close_sync()
    order = {t.component: i for i, t in enumerate(targets)}
    report.results.sort(key=lambda r: order.get(r.component, 0))
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render_text(report))
    return 0 if report.ok else 1
