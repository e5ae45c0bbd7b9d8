"""A component's kustomize build with each object's origin: what offline validation checks.

The component folder is built through a throw-away kustomization (in a temp dir, never in the
repo) that lists it and turns on ``buildMetadata: [originAnnotations, transformerAnnotations]``:
the output is the component's own build plus annotations naming, for every object, its source file
or the generator that made it, and the kustomization.yaml files whose patches ran over it
(``core.rendered`` reads and removes them).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from infra_tui.services import kustomize

# The wrapper's own layer in kustomize's error text: dropped, so errors read as a plain build's.
_WRAPPER_ERROR = re.compile(
    r"accumulating resources: accumulation err='accumulating resources from '[^']*': "
    r"read [^:']*: is a directory': recursed accumulation of path '[^']*': "
)


async def build_with_origins(
    root: Path, component: str, *, argv: list[str] | None = None, timeout: float = 60.0
) -> tuple[kustomize.BuildResult, str]:
    """Build ``root/component``; returns the result and the directory annotation paths are relative to."""
    folder = (Path(root) / component).resolve()
    wrapper = tempfile.mkdtemp(prefix="infra-tui-build-", suffix=f"-{folder.name}")
    try:
        rel = os.path.relpath(folder, wrapper)
        Path(wrapper, "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {rel}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n"
        )
        built = await kustomize.build(wrapper, argv=argv, timeout=timeout)
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)
    if not built.ok:
        built.stderr = _WRAPPER_ERROR.sub("", built.stderr)
    return built, wrapper
