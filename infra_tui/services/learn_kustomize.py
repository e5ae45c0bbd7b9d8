"""Learn CRD providers from kustomize output (``infra-tui learn --kustomize``): build, in parallel,
the folders whose kustomization.yaml has a remote base or a generator (``core.learn_rendered``
says which) and read the CustomResourceDefinitions in what they render.

A build fetches remote bases (over the network for ``https://`` / ``github.com/`` ones): it runs
only when asked for. A build that fails is reported in one line and learns nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from infra_tui.core import learn, learn_rendered
from infra_tui.core.model import Repo
from infra_tui.services import kustomize


@dataclass
class RenderedProviders:
    facts: list[learn.ProviderFact] = field(default_factory=list)
    built: list[str] = field(default_factory=list)  # folders built
    failed: list[str] = field(default_factory=list)  # "folder: first line of stderr"


async def rendered_providers(
    repo: Repo, env_name: str | None = None, *, jobs: int = 4, timeout: float = 120.0
) -> RenderedProviders:
    """Provider facts from building every folder of ``env_name`` that only kustomize renders."""
    targets = learn_rendered.build_targets(repo, env_name)
    out = RenderedProviders()
    if not targets:
        return out
    argv = kustomize.kustomize_argv()
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(
        target: learn_rendered.BuildTarget,
    ) -> tuple[learn_rendered.BuildTarget, kustomize.BuildResult]:
        async with gate:
            return target, await kustomize.build(repo.root / target.folder, argv=argv, timeout=timeout)

    for target, res in await asyncio.gather(*(one(t) for t in targets)):
        if not res.ok:
            first = next((ln for ln in res.stderr.splitlines() if ln.strip()), "failed")
            out.failed.append(f"{target.folder}: kustomize build failed ({target.why}): {first}")
            continue
        out.built.append(target.folder)
        out.facts.extend(learn_rendered.providers_from_build(target, res.manifests))
    return out
