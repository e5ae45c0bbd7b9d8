"""Validate a ChangePlan in the background: what the TUI's validation panel streams.

The plan's files are rendered into a scratch copy of the repo (never the user's tree); every
component folder the plan creates or changes is built with kustomize and dry-run (offline by
default), several at once. Results are yielded as each component finishes; cancelling the
consumer cancels the builds, whose process groups ``services.proc`` kills.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from infra_tui.core import layout, postbuild
from infra_tui.core import rules as rules_mod
from infra_tui.core import validation as v
from infra_tui.core.model import ChangePlan, Repo, flux_id, short_name
from infra_tui.errors import UserError
from infra_tui.services import dryrun, kustomize


def affected_components(repo: Repo, plan: ChangePlan) -> list[str]:
    """Component folders (``namespaces/<x>``) holding a file the plan creates or changes."""
    dirs: list[str] = []
    known = set(repo.components)
    for change in plan.files:
        parts = change.path.split("/")
        folder: str | None
        if parts[0] == "namespaces" and len(parts) >= 3:
            folder = "/".join(parts[:2])
        else:
            folder = next(
                (d for d in sorted(known, key=len, reverse=True) if change.path.startswith(d + "/")), None
            )
        if folder and folder not in dirs and getattr(change, "after", None) is not None:
            dirs.append(folder)
    return dirs


def plan_targets(repo: Repo, plan: ChangePlan, env: str | None = None) -> list[v.Target]:
    """Targets with the dependsOn ancestors the plan gives them (new components included)."""
    env_obj = repo.env(env)
    edges = {k.id: list(k.depends_on_ids) for k in env_obj.kustomizations}
    for p in plan.placement:
        if not p.env or p.env == env_obj.name:
            edges[flux_id(p.name)] = [flux_id(d) for d in p.depends_on]
    by_dir: dict[str, str] = {}
    for ks in env_obj.kustomizations:
        if ks.path:
            by_dir.setdefault(ks.path.removeprefix("./").rstrip("/"), ks.id)
    for p in plan.placement:
        by_dir.setdefault(layout.component_dir(short_name(p.name)), flux_id(p.name))
    variables = postbuild.variables_of(repo.root, lambda: v.variable_files(repo, env_obj))
    written = env_obj.by_id()
    out = []
    for folder in affected_components(repo, plan):
        target_id = by_dir.get(folder)
        post_build = variables(written[target_id]) if target_id in written else None
        out.append(v.Target(folder, target_id, frozenset(v.ancestors(target_id, edges)) if target_id else None,
                            post_build))  # fmt: skip
    return out


async def validate_plan(
    repo: Repo,
    plan: ChangePlan,
    *,
    env: str | None = None,
    strategy: str = "offline",
    jobs: int | None = None,
    transport: Any = None,
    remote_kubectl: str = "kubectl",
) -> AsyncIterator[v.ComponentResult]:
    """Yield one ``ComponentResult`` per affected component as soon as it is validated."""
    targets = await asyncio.to_thread(plan_targets, repo, plan, env)  # may read files: off the event loop
    if not targets:
        return
    files = {f.path: f.after for f in plan.files if f.after is not None}
    table = rules_mod.provider_table(repo, env)
    try:
        argv = kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        for t in targets:
            yield v.ComponentResult(
                t.component, build="fail", dry_run="skipped", notes=[str(exc)], strategy=strategy
            )
        return
    options = dryrun.Options(strategy=strategy, crd_providers=table, kustomize_argv=argv, transport=transport,
                             kubernetes_version=getattr(repo.settings, "kubernetes_version", None),
                             remote_kubectl=remote_kubectl)  # fmt: skip
    async with kustomize.scratch_copy(repo.root, files) as scratch:
        queue: asyncio.Queue[v.ComponentResult | None] = asyncio.Queue()
        runner = asyncio.ensure_future(
            dryrun.validate_many(scratch, targets, options, jobs=jobs, on_result=queue.put_nowait)
        )
        runner.add_done_callback(lambda _t: queue.put_nowait(None))
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                yield item
            await runner  # re-raise what went wrong in the engine
        finally:
            if not runner.done():
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)


@dataclass
class ClusterDryRun:
    """The cluster dry-run the Checks tab runs beside the offline one."""

    strategy: str  # "ssh" or "local"
    transport: Any = None  # for ssh: the read-only transport (the caller closes it)
    remote_kubectl: str = "kubectl"


async def cluster_dry_run(repo: Repo, env: str | None = None, request: Any = None) -> ClusterDryRun | None:
    """``ssh`` when the env's cluster is configured (``clusters.<env>.host`` or the SSH flags, the
    same settings the Cluster tab watches with), else ``local`` when the current kube context
    answers, else None: then only the offline check runs."""
    from infra_tui.services import cluster

    try:
        source, _interval, _untrusted = await asyncio.to_thread(cluster.watch_source, repo.root, env, request)
    except (UserError, ValueError):  # bad settings or host: the Cluster tab reports them, in one line
        source = None
    if source is not None:
        return ClusterDryRun("ssh", source.transport, " ".join(source.kubectl))
    kubectl = kustomize.kubectl_path()
    if kubectl and (await dryrun.local_context(kubectl, timeout=2.0))[0]:
        return ClusterDryRun("local")
    return None


__all__ = ["ClusterDryRun", "affected_components", "cluster_dry_run", "plan_targets", "validate_plan"]


def validate_plan_sync(
    repo: Repo, plan: ChangePlan, *, env: str | None = None, jobs: int | None = None
) -> v.ValidationReport:
    """Validate a plan from a command line, every component, sorted by component.

    Without kustomize or kubectl nothing can be built: no results, and ``skipped`` says why.
    """
    try:
        kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        return v.ValidationReport([], skipped=str(exc))

    async def collect() -> list[v.ComponentResult]:
        return [r async for r in validate_plan(repo, plan, env=env, jobs=jobs)]

    results = sorted(asyncio.run(collect()), key=lambda r: r.component)
    return v.ValidationReport(results)
