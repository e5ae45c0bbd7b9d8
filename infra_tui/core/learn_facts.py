"""The facts ``core.learn`` derives from a repo, each with its evidence (``file:line``) and count,
and the walk over an env's deployed components they are learned from. Data only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from infra_tui.core.model import Component, Env, FluxKustomization, Repo


@dataclass(frozen=True, order=True)
class Evidence:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class ProviderFact:
    """A Kustomization installs the CRDs of ``groups`` (and of ``kinds``)."""

    provider: str  # Kustomization id
    groups: list[str]
    kinds: list[str]
    via: str  # "CustomResourceDefinition", "chart cert-manager", "source github.com/...", ...
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class BootstrapFact:
    """CRD kinds used in the env that no Kustomization provides: installed before Flux, or missing."""

    group: str
    kinds: list[str]
    used_by: list[str]  # Kustomization ids
    evidence: list[Evidence] = field(default_factory=list)
    confirmed: bool = False

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class WebhookFact:
    component: str  # Kustomization id
    via: str
    intercepts: bool
    evidence: list[Evidence] = field(default_factory=list)
    chart: str | None = None  # the chart table entry, when known by its chart

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class StyleFact:
    """The majority value of one style key; ``value`` None: most leave it unset."""

    key: str
    value: Any
    count: int
    total: int
    evidence: list[Evidence] = field(default_factory=list)
    detail: str = ""  # e.g. the central HelmRepository Kustomization
    folder: str = ""  # helm_repositories central: the folder holding them
    kustomization: str = ""  # helm_repositories central: the Kustomization (id) applying that folder


@dataclass
class ValueFact:
    path: str  # dotted path under spec.values
    value: Any
    evidence: Evidence


@dataclass
class ServiceFact:
    """One HelmRelease's resources / replicas: a model for similar services."""

    component: str  # Kustomization id
    release: str
    chart: str
    family: str | None
    evidence: Evidence
    replicas: list[ValueFact] = field(default_factory=list)
    resources: list[ValueFact] = field(default_factory=list)


@dataclass
class Learned:
    env: str
    inputs_hash: str = ""
    providers: list[ProviderFact] = field(default_factory=list)
    bootstrap_provided: list[BootstrapFact] = field(default_factory=list)
    webhooks: list[WebhookFact] = field(default_factory=list)
    style: list[StyleFact] = field(default_factory=list)
    services: list[ServiceFact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # charts that would provide CRDs but are told not to

    def style_value(self, key: str) -> StyleFact | None:
        return next((s for s in self.style if s.key == key), None)


def deployed(repo: Repo, env: Env) -> Iterator[tuple[FluxKustomization, Component | None]]:
    """Every Kustomization of ``env`` with the component folder it deploys (None: not read)."""
    for ks in env.kustomizations:
        yield ks, repo.component_for(ks)


def unique_components(repo: Repo, env: Env) -> list[tuple[FluxKustomization, Component]]:
    """Each component folder of ``env`` once, with the first Kustomization deploying it."""
    seen: set[str] = set()
    out = []
    for ks, comp in deployed(repo, env):
        if comp is not None and comp.dir not in seen:
            seen.add(comp.dir)
            out.append((ks, comp))
    return out
