"""Write a small flat Flux repo into a directory, for tests that need one exact repo shape.

    from tests.repo_builder import FlatRepo, ks, component

    root = FlatRepo(tmp_path).ks("cilium").ks("app", depends_on=["cilium"]).component("cilium").write()

* ``ks(name, ...)`` is the YAML text of one house Flux Kustomization (``---`` first), with keyword
  arguments for everything a test wants to get wrong; ``extra`` is appended under ``spec:``
  (write it indented by two spaces).
* ``component(name, ...)`` is the files of a house ``namespaces/<name>/`` folder (PSS Namespace,
  HelmRepository, HelmRelease with remediation retries); ``files`` adds or replaces files and
  ``kustomization.yaml`` lists every file unless given.
* ``FlatRepo(...).write()`` writes ``clusters/<env>/infrastructure.yaml`` (the documents in the
  order given) and the component folders, and returns the root. ``line_of`` finds the line a
  test wants to assert (the one holding a ``# <-- tag`` marker, or a unique snippet).

Deterministic and dependency-free: plain strings, no YAML library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

INFRA = "clusters/{env}/infrastructure.yaml"


def _dep(entry: str) -> list[str]:
    if "/" in entry:
        ns, name = entry.split("/", 1)
        return [f"    - name: {name}", f"      namespace: {ns}"]
    return [f"    - name: {entry}"]


def ks(
    name: str,
    depends_on: Iterable[str] = (),
    *,
    path: str | None = None,
    namespace: str | None = "flux-system",
    prune: bool | None = False,
    wait: bool | None = True,
    timeout: str | None = "10m",
    source: str | None = "flux-system",
    comment: str | None = None,
    extra: str = "",
) -> str:
    """One Flux Kustomization document. ``None`` leaves a field out; ``depends_on`` entries are
    names or ``namespace/name``. Monitoring splits: pass ``wait=False, timeout="5m"``."""
    lines = ["---"]
    if comment:
        lines.append(f"# {comment}")
    lines += [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {name}",
    ]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines += ["spec:", "  interval: 5m", f"  path: {path or './namespaces/' + name}"]
    if prune is not None:
        lines.append(f"  prune: {str(prune).lower()}")
    if source:
        lines += ["  sourceRef:", "    kind: GitRepository", f"    name: {source}"]
    if wait is not None:
        lines.append(f"  wait: {str(wait).lower()}")
    if timeout is not None:
        lines.append(f"  timeout: {timeout}")
    deps = list(depends_on)
    if deps:
        lines.append("  dependsOn:")
        for d in deps:
            lines += _dep(d)
    text = "\n".join(lines) + "\n"
    if extra:
        text += extra if extra.endswith("\n") else extra + "\n"
    return text


def namespace_yaml(name: str, *, pss: bool = True) -> str:
    text = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    if pss:
        text += (
            "  labels:\n"
            "    pod-security.kubernetes.io/enforce: restricted\n"
            "    pod-security.kubernetes.io/enforce-version: latest\n"
        )
    return text


def helm_repository_yaml(name: str) -> str:
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.com/{name}\n"
    )


def helm_release_yaml(
    name: str, namespace: str | None = None, *, spec: str = "", retries: bool = True, values: str = ""
) -> str:
    """A house HelmRelease; ``spec`` is appended under ``spec:`` (indented by two), ``values`` under
    ``spec.values:`` (indented by four)."""
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
        f"  name: {name}\n  namespace: {namespace or name}\nspec:\n  interval: 1h\n  chart:\n    spec:\n"
        f'      chart: {name}\n      version: "1.x"\n      sourceRef:\n        kind: HelmRepository\n'
        f"        name: {name}\n        namespace: flux-system\n"
    )
    if retries:
        text += (
            "  install:\n    remediation:\n      retries: 3\n  upgrade:\n    remediation:\n      retries: 3\n"
        )
    if spec:
        text += spec if spec.endswith("\n") else spec + "\n"
    if values:
        text += "  values:\n" + (values if values.endswith("\n") else values + "\n")
    return text


def component(
    name: str,
    *,
    namespace: str | None = None,
    files: Mapping[str, str | None] | None = None,
    helm: bool = True,
) -> dict[str, str]:
    """Files of ``namespaces/<name>/`` (without kustomization.yaml, which ``FlatRepo`` writes).

    ``files`` adds files or replaces the defaults (``None`` removes one); ``helm=False`` leaves
    out HelmRepository and HelmRelease (a config-only component)."""
    ns = namespace or name
    out: dict[str, str] = {"namespace.yaml": namespace_yaml(ns)}
    if helm:
        out["helm-repository.yaml"] = helm_repository_yaml(name)
        out["helm-release.yaml"] = helm_release_yaml(name, ns)
    for fname, text in (files or {}).items():
        if text is None:
            out.pop(fname, None)
        else:
            out[fname] = text
    return out


def kustomization_yaml(files: Iterable[str]) -> str:
    listed = [f for f in files if f != "kustomization.yaml"]
    return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + "".join(
        f"  - {f}\n" for f in listed
    )


@dataclass
class FlatRepo:
    """A flat repo to write: Flux Kustomizations per env, component folders, optional settings."""

    root: Path
    env: str = "local-kube"
    docs: dict[str, list[str]] = field(default_factory=dict)
    components: dict[str, dict[str, str]] = field(default_factory=dict)
    unlisted: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    header: str = "# Flux Kustomizations of this env; dependsOn is the bootstrap order\n"

    def ks(self, name: str, depends_on: Iterable[str] = (), *, env: str | None = None, **kw) -> FlatRepo:
        """Add a Flux Kustomization (``ks()`` arguments) and, unless ``text=`` is given, nothing else."""
        text = kw.pop("text", None) or ks(name, depends_on, **kw)
        self.docs.setdefault(env or self.env, []).append(text)
        return self

    def component(self, name: str, *, unlisted: Iterable[str] = (), **kw) -> FlatRepo:
        """Add ``namespaces/<name>/`` (``component()`` arguments); ``unlisted`` files are written but
        left out of kustomization.yaml."""
        self.components[name] = component(name, **kw)
        self.unlisted[name] = set(unlisted)
        return self

    def house(self, name: str, depends_on: Iterable[str] = (), **kw) -> FlatRepo:
        """A Kustomization and its house component in one go (``kw`` go to ``component``)."""
        return self.ks(name, depends_on).component(name, **kw)

    def file(self, rel: str, text: str) -> FlatRepo:
        """Any other file (``.infra-tui.yaml``, a base/ folder, ...)."""
        self.files[rel] = text
        return self

    def write(self) -> Path:
        for env, docs in (self.docs or {self.env: []}).items():
            path = self.root / INFRA.format(env=env)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.header + "".join(docs), encoding="utf-8")
        for name, files in self.components.items():
            folder = self.root / "namespaces" / name
            for fname, text in files.items():
                p = folder / fname
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8")
            if "kustomization.yaml" not in files:
                listed = sorted(f for f in files if f not in self.unlisted.get(name, set()))
                (folder / "kustomization.yaml").write_text(kustomization_yaml(listed), encoding="utf-8")
        for rel, text in self.files.items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return self.root


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle`` (a ``# <-- tag`` marker or a snippet)."""
    seen = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return n
    raise AssertionError(f"{needle!r} (#{nth}) not in {path}")


def gotk_sync(path: str, *, name: str = "flux-system") -> str:
    """The sync objects `flux bootstrap --path PATH` writes into PATH/flux-system/gotk-sync.yaml."""
    return (
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n"
        "  secretRef:\n    name: flux-system\n  url: ssh://git@github.com/example/fleet\n"
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./{path}\n"
        f"  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: {name}\n"
    )


def bootstrapped(root: Path, clusters: Iterable[str], files: Mapping[str, str]) -> Path:
    """A repo as `flux bootstrap` leaves it (``clusters/<name>/flux-system/``, a kustomization.yaml
    listing gotk-components.yaml and gotk-sync.yaml) plus ``files`` (repo-relative path -> text)."""
    for name in clusters:
        fs = root / "clusters" / name / "flux-system"
        fs.mkdir(parents=True, exist_ok=True)
        (fs / "gotk-sync.yaml").write_text(gotk_sync(f"clusters/{name}"))
        (fs / "gotk-components.yaml").write_text("# the Flux controllers, written by flux bootstrap\n")
        (fs / "kustomization.yaml").write_text(kustomization_yaml(["gotk-components.yaml", "gotk-sync.yaml"]))
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
