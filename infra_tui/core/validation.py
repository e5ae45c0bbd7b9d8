"""Validation results and their classification: pure data, no subprocess, no Textual.

A component is validated in two steps, a kustomize build and a dry-run (``local``, ``ssh`` or
``offline``). Each finding becomes an ``Issue`` of one class, as the brief's table says:

| class                  | means                                                        | fails? |
|------------------------|--------------------------------------------------------------|--------|
| ``syntax``             | a file is not valid YAML (file:line)                         | yes    |
| ``schema``             | an object does not match its kind's schema (file:line)       | yes    |
| ``build``              | ``kustomize build`` failed (with the path to fix)            | yes    |
| ``missing-crd``        | a CRD instance whose provider is not among the dependencies  | yes    |
| ``expected-missing-crd``| a CRD instance whose CRD a dependency provides: expected    | no     |
| ``cluster``            | the API server refused an object for another reason          | yes    |
| ``unknown-field``      | a CRD object has a field its schema does not list (pruned)   | no     |

``classify_kubectl_error`` turns the stderr of ``kubectl apply --dry-run`` into issues; the
CRD-kind -> provider table comes from ``templates/rules.yaml`` (``crd_providers``) and is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from infra_tui.core import postbuild

BuildState = Literal["pass", "fail"]
DryRunState = Literal["pass", "fail", "skipped", "expected-missing-crd"]

SYNTAX = "syntax"
SCHEMA = "schema"
BUILD = "build"
MISSING_CRD = "missing-crd"
EXPECTED_MISSING_CRD = "expected-missing-crd"
CLUSTER = "cluster"
UNKNOWN_FIELD = "unknown-field"  # a warning: the API server prunes fields a CRD schema does not list
FAILING_CLASSES = frozenset({SYNTAX, SCHEMA, BUILD, MISSING_CRD, CLUSTER})


@dataclass(frozen=True)
class Issue:
    """One finding: its class, what to do, and where (repo-relative file and 1-based line)."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None

    @property
    def fails(self) -> bool:
        return self.kind in FAILING_CLASSES

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message

    def to_json(self) -> dict[str, Any]:
        return {"class": self.kind, "file": self.file, "line": self.line, "message": self.message}


@dataclass
class ComponentResult:
    """The validation of one component folder."""

    component: str  # repo-relative dir, e.g. namespaces/cilium
    build: BuildState = "pass"
    dry_run: DryRunState = "skipped"
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # honest caveats: "core kinds: structural check only"
    strategy: str = "offline"
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.build == "pass" and self.dry_run != "fail"

    @property
    def detail(self) -> str:
        """One human line (or a few) saying why, or what was left unchecked."""
        lines = [str(i) for i in self.issues]
        if not lines and self.notes:
            lines = list(self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "build": self.build,
            "dry_run": self.dry_run,
            "detail": self.detail,
            "issues": [i.to_json() for i in self.issues],
            "notes": list(self.notes),
            "strategy": self.strategy,
            "elapsed": round(self.elapsed, 3),
        }


@dataclass
class ValidationReport:
    """The validation of a plan: one result per component, or why nothing could be validated."""

    results: list[ComponentResult] = field(default_factory=list)
    skipped: str | None = None  # e.g. neither kustomize nor kubectl is installed

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[ComponentResult]:
        """Components whose build or dry-run failed."""
        return [r for r in self.results if r.build == "fail" or r.dry_run == "fail"]

    def counts(self) -> dict[str, int]:
        """``passed`` / ``failed`` / ``skipped``: a component whose dry-run did not run is never
        counted as passed."""
        failed = sum(not r.ok for r in self.results)
        skipped = sum(r.ok and r.dry_run == "skipped" for r in self.results)
        return {"passed": len(self.results) - failed - skipped, "failed": failed, "skipped": skipped}

    def to_json(self) -> dict[str, Any]:
        """The ``validate`` JSON of DESIGN.md, with ``summary`` counts (``skipped`` only when set)."""
        out: dict[str, Any] = {"results": [r.to_json() for r in self.results], "summary": self.counts()}
        if self.skipped is not None:
            out["skipped"] = self.skipped
        return out


def dry_run_state(issues: Iterable[Issue]) -> DryRunState:
    """``fail`` if any issue fails, else ``expected-missing-crd`` if any is expected, else ``pass``."""
    kinds = {i.kind for i in issues}
    if kinds & FAILING_CLASSES:
        return "fail"
    if EXPECTED_MISSING_CRD in kinds:
        return "expected-missing-crd"
    return "pass"


# --------------------------------------------------------------------------- CRD providers


@dataclass(frozen=True)
class CrdProvider:
    """A Flux Kustomization (by name) that installs the CRDs of ``kinds`` in ``group``."""

    kinds: tuple[str, ...]
    group: str
    provider: str


def crd_providers(table: Sequence[Mapping[str, Any]] | Sequence[CrdProvider] | None) -> list[CrdProvider]:
    """Normalise the ``crd_providers`` list of ``templates/rules.yaml`` (or already-built entries)."""
    out: list[CrdProvider] = []
    for row in table or ():
        if isinstance(row, CrdProvider):
            out.append(row)
            continue
        if hasattr(row, "kinds") and hasattr(row, "provider"):  # core.rules.CrdProvider
            out.append(CrdProvider(tuple(row.kinds), str(getattr(row, "group", "")), str(row.provider)))
            continue
        kinds = row.get("kinds") or ([row["kind"]] if row.get("kind") else [])
        out.append(CrdProvider(tuple(kinds), str(row.get("group", "")), str(row.get("provider", ""))))
    return out


def provider_for(kind: str, group: str, table: Sequence[CrdProvider]) -> str | None:
    """The provider of ``kind`` in API ``group`` (group match first, then kind alone)."""
    for row in table:
        if kind in row.kinds and (not row.group or not group or row.group == group):
            return row.provider
    for row in table:
        if row.group and row.group == group and not row.kinds:
            return row.provider
    return None


def _short(node_id: str) -> str:
    return node_id.rsplit("/", 1)[-1]


def provider_is_ancestor(provider: str, ancestor_ids: Iterable[str]) -> bool:
    """Ancestors may be ids (``flux-system/cilium``) or names; the provider is a name or an id."""
    want = _short(provider)
    return any(a == provider or _short(a) == want for a in ancestor_ids)


def ancestors(start: str, depends_on: Mapping[str, Sequence[str]]) -> set[str]:
    """Every Kustomization reachable through dependsOn from ``start`` (not ``start`` itself)."""
    seen: set[str] = set()
    stack = list(depends_on.get(start, ()))
    while stack:
        node = stack.pop()
        if node in seen or node == start:
            continue
        seen.add(node)
        stack.extend(depends_on.get(node, ()))
    return seen


def classify_missing_crd(
    kind: str,
    api_version: str,
    ancestor_ids: Iterable[str],
    table: Sequence[CrdProvider],
    *,
    file: str | None = None,
    line: int | None = None,
    self_id: str | None = None,
) -> Issue:
    """A CRD instance whose CRD is not (known to be) installed: expected, or a missing dependency."""
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    provider = provider_for(kind, group, table)
    if provider and provider_is_ancestor(provider, ancestor_ids):
        return Issue(
            EXPECTED_MISSING_CRD,
            f"{kind} ({api_version}): CRD comes from dependency {_short(provider)}; expected before it is applied",
            file,
            line,
        )
    if provider and self_id and _short(self_id) == _short(provider):
        return Issue(
            MISSING_CRD,
            f"{kind} ({api_version}) is created by {_short(provider)} itself, which installs its CRD: "
            f"move it to a separate Kustomization that dependsOn {_short(provider)}",
            file,
            line,
        )
    if provider:
        return Issue(
            MISSING_CRD,
            f"{kind} ({api_version}) needs the CRD from {_short(provider)}: add dependsOn {_short(provider)}",
            file,
            line,
        )
    return Issue(
        MISSING_CRD,
        f"no CRD for {kind} ({api_version}) and no known provider: add the Kustomization that installs it to "
        "dependsOn (and to crd_providers in .infra-tui.yaml)",
        file,
        line,
    )


# --------------------------------------------------------------------------- kubectl stderr

_NO_MATCHES = re.compile(
    r'(?:resource mapping not found for name: "(?P<name>[^"]*)"(?: namespace: "(?P<ns>[^"]*)")?.*?)?'
    r'no matches for kind "(?P<kind>[^"]+)" in version "(?P<version>[^"]+)"'
)
_INVALID = re.compile(r'The (?P<kind>[A-Za-z]+) "(?P<name>[^"]+)" is invalid: (?P<why>.*)')
_ERROR_LINE = re.compile(r"^(?:Error from server|error:|Error:|E\d{4} )", re.I)

Locator = Mapping[tuple[str, str], tuple[str, int]]  # (kind, name) -> (file, line)


def classify_kubectl_error(
    stderr: str,
    provider_ids_of_ancestors: Iterable[str],
    crd_providers_table: Sequence[Mapping[str, Any]] | Sequence[CrdProvider] | None,
    *,
    locate: Locator | None = None,
    self_id: str | None = None,
) -> tuple[DryRunState, list[Issue]]:
    """Classify the stderr of ``kubectl apply --dry-run=...``.

    "no matches for kind X in version Y" is ``expected-missing-crd`` when X's provider (from the
    table) is among the ancestors, else ``missing-crd``. Other error lines are ``cluster`` issues,
    placed at file:line when ``locate`` knows the (kind, name) they name.
    """
    table = crd_providers(crd_providers_table)
    ancestors_list = list(provider_ids_of_ancestors)
    locate = locate or {}
    issues: list[Issue] = []
    seen: set[str] = set()
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or line in seen:
            continue
        seen.add(line)
        m = _NO_MATCHES.search(line)
        if m:
            kind, version, name = m["kind"], m["version"], m["name"] or ""
            file, lineno = locate.get((kind, name), (None, None))
            issues.append(
                classify_missing_crd(
                    kind, version, ancestors_list, table, file=file, line=lineno, self_id=self_id
                )
            )
            continue
        m = _INVALID.search(line)
        if m:
            file, lineno = locate.get((m["kind"], m["name"]), (None, None))
            issues.append(Issue(CLUSTER, f'{m["kind"]} "{m["name"]}": {m["why"]}', file, lineno))
            continue
        if _ERROR_LINE.match(line):
            issues.append(Issue(CLUSTER, line))
        # anything else (warnings, "ensure CRDs are installed first", progress) is not a verdict
    return dry_run_state(issues), issues


# --------------------------------------------------------------------------- kustomize stderr

_MISSING_PATH = re.compile(
    r"(?:(?:lstat|stat|open) )?(?P<path>/[^\s:'\"]+): no such file or directory|"
    r"must resolve to a file.*?'(?P<path2>[^']+)'|"
    r"evalsymlink failure on '(?P<path3>[^']+)'"
)


def classify_build_error(
    stderr: str, scratch_root: str, component_dir: str, kustomization_text: str | None = None
) -> Issue:
    """Turn a failed ``kustomize build`` into one ``build`` issue naming the repo path to fix.

    ``scratch_root`` is the absolute root the build ran in; paths under it are shown repo-relative.
    With ``kustomization_text`` a missing entry is placed on the line that lists it.
    """
    kfile = f"{component_dir}/kustomization.yaml"
    text = _unklog(stderr)
    text = re.sub(r"^(Error|error): ", "", text)
    root = scratch_root.rstrip("/") + "/"
    m = _MISSING_PATH.search(stderr)
    if m:
        path = m["path"] or m["path2"] or m["path3"] or ""
        rel = path[len(root) :] if path.startswith(root) else path
        return Issue(
            BUILD,
            f"kustomize build failed: {rel} does not exist; fix or remove the entry that lists it",
            kfile,
            _line_listing(kustomization_text, rel.rsplit("/", 1)[-1]),
        )
    entry = re.search(r"accumulating resources from '([^']+)'", text)
    line = _line_listing(kustomization_text, entry[1].rstrip("/").rsplit("/", 1)[-1]) if entry else None
    return Issue(BUILD, f"kustomize build failed: {text.replace(root, '')}", kfile, line)


_KLOG = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err="(?P<err>.*)"\s*$')


def _unklog(stderr: str) -> str:
    """kubectl wraps kustomize's error in a klog line; keep only the error text, on one line."""
    lines = []
    for raw in stderr.strip().splitlines():
        m = _KLOG.match(raw.strip())
        lines.append(m["err"].replace('\\"', '"') if m else raw.strip())
    return " ".join(" ".join(lines).split())


def _line_listing(text: str | None, basename: str) -> int | None:
    """1-based line of a list entry naming ``basename`` (``- ./foo.yaml``), if any."""
    if not text or not basename:
        return None
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s.startswith("-") and s.lstrip("- ").strip("'\"").rstrip("/").endswith(basename):
            return n
    return None


# --------------------------------------------------------------------------- what to validate


@dataclass(frozen=True)
class Target:
    """A component folder to validate and its place in the graph.

    ``ks_id``: the Flux Kustomization that applies it (``flux-system/cilium``), if any;
    ``ancestors``: every Kustomization it depends on, transitively (``None``: unknown).
    """

    component: str  # repo-relative dir
    ks_id: str | None = None
    ancestors: frozenset[str] | None = None
    post_build: Any = field(default=None, compare=False)  # core.postbuild.PostBuild: Flux variables


def variable_files(repo: Any, env: Any) -> list[str]:
    """Where Flux postBuild variables may be written: the env's files, then the components'."""
    return [*(env.files if env is not None else []), *(f for c in repo.components.values() for f in c.files)]


def targets_from_repo(repo: Any, env_name: str | None = None, names: Sequence[str] = ()) -> list[Target]:
    """Targets for ``names`` (component dir, folder name or Kustomization name), or every component.

    Raises ``KeyError(name)`` for a name that matches nothing.
    """
    env = repo.env(env_name) if getattr(repo, "envs", None) else None
    kss = list(env.kustomizations) if env is not None else []
    edges = {k.id: list(k.depends_on_ids) for k in kss}
    by_dir: dict[str, Any] = {}
    for ks in kss:
        comp = repo.component_for(ks)
        if comp is not None and comp.dir not in by_dir:
            by_dir[comp.dir] = ks

    variables = postbuild.variables_of(repo.root, lambda: variable_files(repo, env))

    def target(comp_dir: str) -> Target:
        ks = by_dir.get(comp_dir)
        if ks is None:
            return Target(comp_dir)
        return Target(comp_dir, ks.id, frozenset(ancestors(ks.id, edges)), variables(ks))

    # the flat shape: every namespaces/<component>/ folder; another layout: what the env deploys
    dirs = sorted(repo.components) if getattr(repo, "flat", True) or env is None else sorted(by_dir)
    if not names:
        return [target(d) for d in dirs]
    out: list[Target] = []
    for name in names:
        clean = name.strip().removeprefix("./").rstrip("/")
        match = [d for d in dirs if d == clean or d.rsplit("/", 1)[-1] == clean]
        if not match:
            ks = env.find(clean) if env is not None else None
            comp = repo.component_for(ks) if ks is not None else None
            match = [comp.dir] if comp is not None else []
        if not match:
            raise KeyError(name)
        out.extend(target(d) for d in match if all(t.component != d for t in out))
    return out
