"""The data model shared by every part of infra-tui: plain dataclasses, no behaviour that does I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra_tui.core.graph import Graph
    from infra_tui.core.rules import Finding
    from infra_tui.core.settings import Settings
    from infra_tui.core.validation import ValidationReport

FLUX_KS_GROUP = "kustomize.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
DEFAULT_FLUX_NAMESPACE = "flux-system"


def ks_id(namespace: str, name: str) -> str:
    """The id of a Flux Kustomization everywhere in infra-tui: ``namespace/name``."""
    return f"{namespace}/{name}"


def flux_id(ref: str, default_namespace: str = DEFAULT_FLUX_NAMESPACE) -> str:
    """A Kustomization reference as its id: ``ns/name`` stays, a plain ``name`` gets
    ``default_namespace`` (the namespace of the Kustomization that names it; Flux's own default)."""
    return ref if "/" in ref else ks_id(default_namespace, ref)


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one: for reading YAML that may be malformed."""
    return value if isinstance(value, dict) else {}


def short_name(node_id: str) -> str:
    """``flux-system/cilium`` -> ``cilium``."""
    return node_id.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Problem:
    """Bad input found while reading: which file, which line, what to do."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class Resource:
    """A Kubernetes object in a manifest file."""

    kind: str
    api_version: str
    name: str
    namespace: str | None
    file: str  # repo-relative posix path
    line: int
    data: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def group(self) -> str:
        return self.api_version.split("/", 1)[0] if "/" in self.api_version else ""


@dataclass
class DependsOn:
    """One ``spec.dependsOn`` entry, normalised to ``namespace/name``."""

    target: str
    line: int


@dataclass
class FluxKustomization:
    """A ``kustomize.toolkit.fluxcd.io`` Kustomization as written in Git."""

    name: str
    namespace: str
    file: str  # repo-relative posix path
    line: int  # line of the document's first content line
    api_version: str
    env: str
    path: str | None = None
    depends_on: list[DependsOn] = field(default_factory=list)
    wait: bool | None = None
    timeout: str | None = None
    interval: str | None = None
    retry_interval: str | None = None
    prune: bool | None = None
    suspend: bool = False
    source_ref: dict[str, Any] | None = None
    patches: list[Any] = field(default_factory=list)
    doc_index: int = 0  # chunk index inside the file (yamlio.split_documents)
    data: dict[str, Any] = field(repr=False, default_factory=dict)

    @cached_property
    def id(self) -> str:
        """``namespace/name``, made once per object (a keystroke's plan asks thousands of times;
        name and namespace are never changed on an object: a changed one is a new object)."""
        return ks_id(self.namespace, self.name)

    @property
    def depends_on_ids(self) -> list[str]:
        return [d.target for d in self.depends_on]


@dataclass
class Component:
    """A folder of manifests that one or more Flux Kustomizations point at.

    In a flat repo: ``namespaces/<name>/``. ``resources`` are the objects kustomize would build
    from it (resolved through kustomization.yaml ``resources`` and ``components``).
    """

    name: str
    dir: str  # repo-relative posix path
    resources: list[Resource] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # manifest files read for it
    has_kustomization: bool = True
    generated: dict[str, dict[str, str]] = field(default_factory=dict)  # "ConfigMap/name" -> key -> file

    def kinds(self) -> set[str]:
        return {r.kind for r in self.resources}


@dataclass(frozen=True)
class NotAnObject:
    """A YAML document that is no Kubernetes object in a file a generated kustomization lists:
    kustomize-controller fails that whole build on it ("failed to decode Kubernetes YAML")."""

    ks: str | None  # the Flux Kustomization whose build lists the file (None: an entry, no sync)
    file: str
    line: int
    why: str  # "has no kind", "has no metadata.name", "is not a mapping"
    folder: str  # the folder without a kustomization.yaml


@dataclass
class Env:
    """One cluster: ``clusters/<env>/`` (flat) or the directory named by ``--path``."""

    name: str
    kustomizations: list[FluxKustomization] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    helmrelease_ids: set[str] = field(default_factory=set)
    entry: list[str] = field(default_factory=list)  # the entry folders the walk started from
    duplicates: list[tuple[FluxKustomization, FluxKustomization]] = field(default_factory=list)
    out_of_reach: dict[str, str] = field(default_factory=dict)  # ks id -> why its content is not read
    folders: set[str] = field(default_factory=set)  # folders a build started from
    reached: set[str] = field(default_factory=set)  # manifest files the walk read
    not_objects: list[NotAnObject] = field(default_factory=list)  # what Flux's generated builds fail on

    def by_id(self) -> dict[str, FluxKustomization]:
        """Kustomizations by id: a fresh dict, built from a copy kept while the list is unchanged
        (an edit's preview asks several times per keystroke)."""
        kss = self.kustomizations
        cached = self.__dict__.get("_by_id")
        if cached is None or cached[0] is not kss or cached[1] != len(kss):
            cached = (kss, len(kss), {k.id: k for k in kss})
            self.__dict__["_by_id"] = cached
        return dict(cached[2])

    def resolve(self, ref: str) -> FluxKustomization | None:
        """A Kustomization by id when ``ref`` is ``ns/name``, else by plain name."""
        if "/" in ref:
            return self.by_id().get(ref)
        return self.find(ref)

    def find(self, name: str) -> FluxKustomization | None:
        """A Kustomization by id (``ns/name``) or by plain name."""
        if "/" not in name:  # an id always holds one: only names can match
            return next((k for k in self.kustomizations if k.name == name), None)
        for k in self.kustomizations:
            if k.id == name or k.name == name:
                return k
        return None


def _no_settings() -> Settings:
    """A repo without ``.infra-tui.yaml``: the default settings. Imported here, not at the top:
    the settings module brings PyYAML, which the TUI's first frame does not need."""
    from infra_tui.core.settings import Settings

    return Settings()


@dataclass
class Repo:
    """Everything read from a repo: envs, components, and what could not be read."""

    root: Path
    envs: dict[str, Env]
    components: dict[str, Component]  # keyed by repo-relative dir
    problems: list[Problem] = field(default_factory=list)
    flat: bool = True  # clusters/<env>/infrastructure.yaml + namespaces/<component>/
    settings: Settings = field(default_factory=_no_settings)  # .infra-tui.yaml, read by repo.load
    builds: dict[tuple[str, str], Component] = field(default_factory=dict)  # (env, ks id) -> what it builds

    @property
    def primary_env(self) -> str:
        names = list(self.envs)
        return "local-kube" if "local-kube" in names else (names[0] if names else "")

    def env(self, name: str | None) -> Env:
        """The named env, or the primary one. Raises KeyError naming the envs that exist."""
        key = name or self.primary_env
        if key not in self.envs:
            raise KeyError(key)
        return self.envs[key]

    def component_for(self, ks: FluxKustomization) -> Component | None:
        built = self.builds.get((ks.env, ks.id))
        if built is not None and built.dir == (ks.path or "").strip().removeprefix("./").rstrip("/"):
            return built
        if not ks.path:
            return None
        rel = ks.path.strip().removeprefix("./").rstrip("/")
        return self.components.get(rel)


# --------------------------------------------------------------------------- change plans


@dataclass
class FileChange:
    """One file a plan creates or changes. ``before is None``: created."""

    path: str  # repo-relative posix path
    before: str | None
    after: str

    @property
    def created(self) -> bool:
        return self.before is None


@dataclass
class Placement:
    """Where a new or changed Flux Kustomization lands in the bootstrap order."""

    name: str
    layer: int
    depends_on: list[str]
    env: str = ""
    inferred: dict[str, str] = field(default_factory=dict)  # dependency id -> reason ("CiliumNetworkPolicy")


@dataclass
class ChangePlan:
    """What ``scaffold.plan`` / ``edit`` / ``lint --fix`` would do, before anything is written."""

    files: list[FileChange] = field(default_factory=list)
    placement: list[Placement] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    recreate_required: bool = False
    recreate_reason: str | None = None
    findings: list[Finding] = field(default_factory=list)  # lint findings the plan adds
    refusals: list[str] = field(default_factory=list)  # why the plan must not be written
    warnings: list[str] = field(default_factory=list)
    validation: ValidationReport | None = None  # filled by a validation run (JSON only at the output edge)
    learned: list[str] = field(
        default_factory=list
    )  # what came from the repo's own style (core.learned_style)
    house_defaults: list[str] = field(
        default_factory=list
    )  # generated values the repo teaches nothing about: the house default stays
    graphs: dict[str, Graph] = field(default_factory=dict, repr=False, compare=False)
    """The bootstrap graph of each env as the plan leaves it, when the planner built it (edit and
    fix do, to check for cycles): the preview shows it instead of building it again."""

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def created(self) -> list[str]:
        return [f.path for f in self.files if f.created]

    @property
    def modified(self) -> list[str]:
        return [f.path for f in self.files if not f.created]
