"""Hostile repos, generated: small flat repos that each carry one thing a hostile (or careless)
author can put in a repo, for tests that run every command against them.

    root = build(tmp_path, "alias-bomb-infra")

Each case is a base repo (two house components, ``cilium`` and ``app``) plus one hostile change;
``CASES`` maps the case name to the one-line message every command must print about it. Nothing
big is committed: the bombs are a few lines that expand to billions of nodes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from tests.repo_builder import FlatRepo, helm_release_yaml, ks

INFRA = "clusters/local-kube/infrastructure.yaml"


def billion_laughs(indent: str = "", levels: int = 9) -> str:
    """A YAML mapping whose aliases expand to 9**levels strings (a billion at 9 levels)."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels + 1):
        lines.append(f"{indent}l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def base() -> Callable[[Path], FlatRepo]:
    return lambda root: FlatRepo(root).house("cilium").house("app", ["cilium"])


def _alias_bomb_infra(root: Path) -> None:
    base()(root).ks("bomb", text="---\n" + billion_laughs()).write()


def _alias_bomb_manifest(root: Path) -> None:
    bomb = "  values:\n" + billion_laughs("    ")
    base()(root).component("app", files={"helm-release.yaml": helm_release_yaml("app", spec=bomb)}).write()


def _alias_bomb_patch(root: Path) -> None:
    patch = "".join("        " + line + "\n" for line in billion_laughs().splitlines())
    extra = (
        "  patches:\n    - target:\n        kind: HelmRelease\n      patch: |\n"
        "        apiVersion: helm.toolkit.fluxcd.io/v2\n        kind: HelmRelease\n"
        "        metadata:\n          name: app\n" + patch
    )
    FlatRepo(root).house("cilium").ks("app", ["cilium"], extra=extra).component("app").write()


def _recursive_alias(root: Path) -> None:
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  labels: &x {self: *x}\n"
    base()(root).component("app", files={"namespace.yaml": ns}).write()


def _duplicate_name(root: Path) -> None:
    doc = ks("twice").replace("  name: twice\n", "  name: twice\n  name: other\n")
    base()(root).ks("twice", text=doc).write()


def _duplicate_depends_on(root: Path) -> None:
    doc = ks("late", ["cilium"]) + "  dependsOn:\n    - name: app\n"
    base()(root).ks("late", text=doc).write()


def _list_document(root: Path) -> None:
    base()(root).ks(
        "list", text="---\n- apiVersion: kustomize.toolkit.fluxcd.io/v1\n  kind: Kustomization\n"
    ).write()


def _fifo(root: Path) -> None:
    base()(root).write()
    os.mkfifo(root / "clusters" / "local-kube" / "x.yaml")


def _rules_wrong_shape(root: Path) -> None:
    base()(root).file(".infra-tui.yaml", "rules:\n  crd_providers: 5\n").write()


def _rules_typo(root: Path) -> None:
    base()(root).file(".infra-tui.yaml", "rules:\n  webhook_component: [app]\n").write()


def _deep_nesting(root: Path) -> None:
    base()(root).ks(
        "deep",
        text="---\n"
        + "a:\n"
        + "".join("  " * n + f"b{n}:\n" for n in range(1, 3000))
        + "  " * 3000
        + "c: 1\n",
    ).write()


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "alias-bomb-infra": (_alias_bomb_infra, f"{INFRA}:"),
    "alias-bomb-manifest": (_alias_bomb_manifest, "namespaces/app/helm-release.yaml:"),
    "alias-bomb-patch": (_alias_bomb_patch, f"{INFRA}:"),
    "recursive-alias": (_recursive_alias, "namespaces/app/namespace.yaml:5: alias expansion too large"),
    "duplicate-name": (_duplicate_name, "duplicate key 'name' at lines"),
    "duplicate-dependsOn": (_duplicate_depends_on, "duplicate key 'dependsOn' at lines"),
    "list-document": (_list_document, "is a list, not a mapping"),
    "fifo": (_fifo, "clusters/local-kube/x.yaml: a FIFO, not a regular file"),
    "rules-wrong-shape": (
        _rules_wrong_shape,
        ".infra-tui.yaml:2: rules.crd_providers must be a list of mappings",
    ),
    "rules-typo": (
        _rules_typo,
        "unknown key 'webhook_component' in rules; did you mean 'webhook_components'?",
    ),
    "deep-nesting": (_deep_nesting, "nesting depth"),
}
"""case -> (writer, a piece of the one line every command prints about it)."""
# alias bombs also name what they are
ALIAS_CASES = {"alias-bomb-infra", "alias-bomb-manifest", "alias-bomb-patch"}


def build(tmp: Path, case: str) -> Path:
    root = tmp / case
    root.mkdir(parents=True)
    CASES[case][0](root)
    return root


def tree_hash(root: Path) -> str:
    """Names, types and contents of everything under ``root`` (FIFOs by name only)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = Path(dirpath) / name
            h.update(str(p.relative_to(root)).encode() + b"\0")
            if p.is_symlink():
                h.update(b"L" + os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
        h.update(b"D" + dirpath.encode())
    return h.hexdigest()
