"""The graph kept for the next start, through the real console script in tmux: the first start
keeps it (a private file in the user's cache folder); a start after the repo changed draws the
repo as it is now, not the kept graph (core.graph_cache; the frame-by-frame check is in
tests/tui/test_startup_load.py)."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

from infra_tui.core import graph_cache
from tests.apprepo import make_repo
from tests.e2e.test_tmux import SCRIPT, pytestmark, tmux, wait_for  # noqa: F401
from tests.unit.test_graph_cache import age

EXTRA = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: zz-extra
  namespace: flux-system
spec:
  interval: 5m
  path: ./namespaces/netcorp-app
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
  dependsOn:
    - name: netcorp-app
"""


def quit_and_wait(session: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
    deadline = time.monotonic() + 15
    while subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "infra-tui did not quit on ctrl+q"
        time.sleep(0.1)


def test_kept_at_the_first_start_and_not_shown_once_the_repo_changed(tmux, tmp_path: Path) -> None:  # noqa: F811
    root = make_repo(tmp_path / "repo")
    age(root)
    # this test's cache folder, named on the command line: a tmux server that was already
    # running would start the app with its own environment
    command = f"env {graph_cache.CACHE_DIR_ENV}={shlex.quote(str(graph_cache.cache_dir()))} {SCRIPT}"
    session = tmux(command, root)
    screen = wait_for(session, "L0 cluster-secrets")
    assert "5 layers" in screen and "L5 " not in screen
    quit_and_wait(session)
    [kept] = (graph_cache.cache_dir() / "graphs").glob("*.pickle")
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.stat().st_uid == os.getuid()

    infra = root / "clusters/local-kube/infrastructure.yaml"  # a sixth layer: zz-extra after netcorp-app
    infra.write_text(infra.read_text() + EXTRA)
    age(root, step=[10**6])  # an edit of an hour ago: a plain change, not a "racy" one
    tmux(command, root)
    screen = wait_for(session, "L5 zz-extra")
    assert "6 layers" in screen
