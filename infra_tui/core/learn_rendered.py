"""CRD providers only kustomize output shows: a component whose kustomization.yaml pulls a remote
base (``https://...``, ``github.com/...``, ``file://...``) or runs a generator (``helmCharts``,
``generators``) may install CRDs that the files of the repo never show.

``build_targets(repo, env)`` says which folders need a ``kustomize build`` (and the line that makes
them need it); ``services.learn_kustomize`` runs the builds; ``providers_from_build`` turns one
build's output into provider facts; ``merge`` adds them to what ``core.learn`` learned from the
files (a group then provided is no longer bootstrap-provided).

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra_tui.core import learn, yamlio
from infra_tui.core.model import FluxKustomization, Repo

VIA = "kustomize build"
GENERATOR_KEYS = ("helmCharts", "generators")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class BuildTarget:
    """A deployed Kustomization whose folder only kustomize can fully render."""

    ks: FluxKustomization
    folder: str  # repo-relative
    evidence: learn.Evidence  # the remote entry or generator key that makes the build needed
    why: str  # "remote base https://..." | "generator helmCharts"


def _is_remote(entry: object) -> bool:
    return isinstance(entry, str) and ("://" in entry or entry.startswith(("github.com/", "git@")))


def build_targets(repo: Repo, env_name: str | None = None) -> list[BuildTarget]:
    """The deployed Kustomizations of ``env_name`` whose kustomization.yaml has a remote base or a
    generator, once per folder."""
    env = repo.env(env_name)
    out: list[BuildTarget] = []
    seen: set[str] = set()
    for ks in env.kustomizations:
        folder = (ks.path or "").strip().removeprefix("./").rstrip("/")
        if not folder or folder in seen:
            continue
        seen.add(folder)
        for name in KUSTOMIZATION_FILES:
            path = repo.root / folder / name
            if not path.is_file():
                continue
            rel = f"{folder}/{name}"
            try:
                text = path.read_text(encoding="utf-8")
                data = yamlio.load_one(text)
            except (OSError, UnicodeDecodeError, ValueError):
                break  # repo.load reports an unreadable kustomization.yaml
            if not isinstance(data, dict):
                break
            lines = text.splitlines()
            for key in ("resources", "components", "bases"):
                entries = data.get(key)
                remote = [e for e in entries if _is_remote(e)] if isinstance(entries, list) else []
                if remote:
                    line = next((n for n, ln in enumerate(lines, 1) if str(remote[0]) in ln), 1)
                    out.append(BuildTarget(ks, folder, learn.Evidence(rel, line), f"remote base {remote[0]}"))
                    break
            else:
                gen = next((k for k in GENERATOR_KEYS if data.get(k)), None)
                if gen is not None:
                    line = next((n for n, ln in enumerate(lines, 1) if ln.startswith(f"{gen}:")), 1)
                    out.append(BuildTarget(ks, folder, learn.Evidence(rel, line), f"generator {gen}"))
            break
    return out


def providers_from_build(target: BuildTarget, manifests: str) -> list[learn.ProviderFact]:
    """The CRDs in one build's output, as provider facts of ``target``'s Kustomization."""
    docs, _ = yamlio.load_documents(manifests, f"kustomize build {target.folder}")
    groups: dict[str, list[str]] = {}
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or data.get("kind") != "CustomResourceDefinition":
            continue
        spec: dict[str, Any] = data["spec"] if isinstance(data.get("spec"), dict) else {}
        group = spec.get("group")
        names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
        if isinstance(group, str) and group:
            kinds = groups.setdefault(group, [])
            kind = names.get("kind")
            if isinstance(kind, str) and kind not in kinds:
                kinds.append(kind)
    return [
        learn.ProviderFact(target.ks.id, [group], kinds, f"{VIA} ({target.why})", [target.evidence])
        for group, kinds in sorted(groups.items())
    ]


def merge(learned: learn.Learned, facts: list[learn.ProviderFact]) -> list[str]:
    """Add ``facts`` to ``learned`` (a group and provider already known from the files is kept as
    it was); the groups they provide leave ``bootstrap_provided``. Returns one line per fact added."""
    known = {(p.provider, g) for p in learned.providers for g in p.groups}
    added: list[str] = []
    for fact in facts:
        if all((fact.provider, g) in known for g in fact.groups):
            continue
        learned.providers.append(fact)
        added.append(
            f"{', '.join(fact.groups)} ({', '.join(fact.kinds)}) <- {fact.provider.split('/')[-1]}: {fact.via} at {fact.evidence[0]}"
        )
    provided = {g for f in facts for g in f.groups}
    learned.bootstrap_provided = [b for b in learned.bootstrap_provided if b.group not in provided]
    learned.providers.sort(key=lambda f: (f.groups[0] if f.groups else "", f.provider, f.via))
    return added
