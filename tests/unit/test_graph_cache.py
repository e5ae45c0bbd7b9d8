"""The graph kept for the next start (core.graph_cache): used only while no file under the repo
changed, never unpickled from a file that is not the user's own, every failure a quiet miss."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra_tui.core import graph as graph_mod
from infra_tui.core import graph_cache
from infra_tui.core import repo as repo_mod
from tests.apprepo import make_repo

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: no entry is "racy"


def age(root: Path, step: list[int] | None = None) -> None:
    """Give every entry under ``root`` changed since ``OLD`` (all, at first) an mtime of the
    past, each a distinct one, as a clock with a fine tick would; the others keep theirs."""
    counter = step if step is not None else [0]
    for p in [*sorted(root.rglob("*"), reverse=True), root]:
        if ".git" in p.relative_to(root).parts or p.stat(follow_symlinks=False).st_mtime_ns < OLD + 10**12:
            continue
        counter[0] += 1
        os.utime(p, ns=(OLD + counter[0] * 1000, OLD + counter[0] * 1000), follow_symlinks=False)


def graph_of(root: Path, env: str | None = None) -> graph_mod.Graph:
    repo_mod.clear_cache()
    repo = repo_mod.load(root)
    return graph_mod.build(repo.env(repo.env(env).name))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    made = make_repo(tmp_path / "repo")
    age(made)
    return made


def test_a_kept_graph_comes_back_while_nothing_changed(root: Path) -> None:
    print_ = graph_cache.fingerprint(root)
    assert print_ is not None
    graph_cache.store(root, None, print_, graph_of(root))
    kept = graph_cache.load(root, None, graph_cache.fingerprint(root))
    assert kept is not None and graph_mod.to_dict(kept) == graph_mod.to_dict(graph_of(root))
    assert graph_cache.load(root, "staging", print_) is None  # another env: its own entry


def edit_same_size(root: Path) -> None:
    path = root / "clusters/local-kube/infrastructure.yaml"
    text = path.read_text()
    path.write_text(text.replace("name: cilium\n", "name: ciliux\n", 1))  # same length


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(edit_same_size, id="edited-same-size"),
        pytest.param(lambda r: (r / "namespaces/new-thing").mkdir(), id="folder-added"),
        pytest.param(lambda r: (r / "namespaces/redis/extra.yaml").write_text("a: 1\n"), id="file-added"),
        pytest.param(lambda r: (r / ".infra-tui.yaml").write_text("house: {}\n"), id="settings-added"),
        pytest.param(
            lambda r: (r / "clusters/local-kube/infrastructure.yaml").rename(
                r / "clusters/local-kube/x.yaml"
            ),
            id="renamed",
        ),
        pytest.param(lambda r: (r / "namespaces/redis/kustomization.yaml").unlink(), id="removed"),
    ],
)
def test_any_change_under_the_repo_is_a_miss(root: Path, change) -> None:
    before = graph_cache.fingerprint(root)
    graph_cache.store(root, None, before, graph_of(root))
    change(root)
    assert graph_cache.fingerprint(root) is None  # just changed: racy, not trusted
    age(root, step=[10**6])
    after = graph_cache.fingerprint(root)
    assert after is not None and after != before
    assert graph_cache.load(root, None, after) is None


def test_git_s_own_folder_does_not_count(root: Path) -> None:
    before = graph_cache.fingerprint(root)
    mtime = root.stat().st_mtime_ns
    (root / ".git").mkdir()
    (root / ".git/index").write_text("x")
    os.utime(root / ".git", ns=(OLD, OLD))
    os.utime(root, ns=(mtime, mtime))  # the root folder's mtime moved with the new entry: back
    assert graph_cache.fingerprint(root) == before


def test_a_symlinked_folder_or_a_huge_tree_is_not_kept(root: Path, tmp_path: Path, monkeypatch) -> None:
    assert graph_cache.fingerprint(root) is not None
    monkeypatch.setattr(graph_cache, "MAX_ENTRIES", 10)
    assert graph_cache.fingerprint(root) is None
    monkeypatch.undo()
    (tmp_path / "elsewhere").mkdir()
    (root / "namespaces/linked").symlink_to(tmp_path / "elsewhere")
    age(root)
    assert graph_cache.fingerprint(root) is None


def entry_of(root: Path) -> Path:
    [entry] = (graph_cache.cache_dir() / "graphs").glob("*.pickle")
    return entry


def test_a_cache_file_that_is_not_the_user_s_private_one_is_never_unpickled(root: Path) -> None:
    print_ = graph_cache.fingerprint(root)
    graph_cache.store(root, None, print_, graph_of(root))
    entry = entry_of(root)
    assert entry.stat().st_mode & 0o777 == 0o600
    assert (graph_cache.cache_dir() / "graphs").stat().st_mode & 0o777 == 0o700
    entry.chmod(0o644)
    assert graph_cache.load(root, None, print_) is None
    entry.chmod(0o600)
    assert graph_cache.load(root, None, print_) is not None


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-20], id="truncated"),
        pytest.param(lambda b: b.replace(b"cache 1", b"cache 9"), id="another-format"),
        pytest.param(lambda b: b"", id="empty"),
    ],
)
def test_a_damaged_cache_file_is_a_quiet_miss(root: Path, damage) -> None:
    print_ = graph_cache.fingerprint(root)
    graph_cache.store(root, None, print_, graph_of(root))
    entry = entry_of(root)
    entry.write_bytes(damage(entry.read_bytes()))
    assert graph_cache.load(root, None, print_) is None


def test_an_unwritable_cache_folder_is_a_quiet_miss(root: Path, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(graph_cache.CACHE_DIR_ENV, str(blocker))
    print_ = graph_cache.fingerprint(root)
    graph_cache.store(root, None, print_, graph_of(root))  # no exception
    assert graph_cache.load(root, None, print_) is None


def test_only_the_most_recent_graphs_are_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(graph_cache, "KEEP", 3)
    roots = []
    for i in range(5):
        r = tmp_path / f"r{i}"
        (r / "clusters/a").mkdir(parents=True)
        roots.append(r)
        graph_cache.store(r, None, b"x", graph_mod.Graph("a", {}, {}, {}, {}, [], []))
        time.sleep(0.01)
    assert len(list((graph_cache.cache_dir() / "graphs").glob("*.pickle"))) == 3
    assert graph_cache.load(roots[-1], None, b"x") is not None
    assert graph_cache.load(roots[0], None, b"x") is None


FILES = [
    "clusters/local-kube/infrastructure.yaml",
    "namespaces/redis/kustomization.yaml",
    "namespaces/cilium/helm-release.yaml",
]
ops = st.lists(
    st.tuples(
        st.sampled_from(["append-comment", "add-file", "remove", "dependency"]), st.sampled_from(FILES)
    ),
    max_size=3,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_a_kept_graph_is_always_the_graph_of_the_files_as_they_are(tmp_path_factory, ops) -> None:
    """Keep the graph, change the repo in random ways (or not), then start again: whatever the
    cache gives back is exactly the graph a fresh read makes."""
    root = make_repo(tmp_path_factory.mktemp("prop") / "repo")
    age(root)
    graph_cache.store(root, None, graph_cache.fingerprint(root), graph_of(root))
    step = [10**6]
    for op, rel in ops:
        path = root / rel
        if op == "append-comment" and path.exists():
            path.write_text(path.read_text() + "# note\n")
        elif op == "add-file":
            path = path.with_name("added.yaml")
            path.write_text("kind: ConfigMap\n")
        elif op == "remove" and path.exists():
            path.unlink()
            path = path.parent
        elif op == "dependency" and path.exists() and rel.endswith("infrastructure.yaml"):
            path.write_text(path.read_text().replace("dependsOn:\n", "dependsOn:\n    - name: redis\n", 1))
        age(root, step=step)
    kept = graph_cache.load(root, None, graph_cache.fingerprint(root))
    if kept is not None:
        assert graph_mod.to_dict(kept) == graph_mod.to_dict(graph_of(root))
    if not ops:
        assert kept is not None


def test_a_folder_that_cannot_be_listed_gives_no_fingerprint(root: Path, monkeypatch) -> None:
    """(Root reads every folder, so the walk's error is made here.) What a folder that cannot be
    listed holds could change unseen: no fingerprint, no kept graph."""
    real_walk = os.walk

    def walk(top, onerror=None):
        onerror(PermissionError(13, "Permission denied", f"{top}/namespaces/secret"))
        yield from real_walk(top)

    monkeypatch.setattr(graph_cache.os, "walk", walk)
    assert graph_cache.fingerprint(root) is None


def test_no_home_folder_is_a_quiet_miss(root: Path, monkeypatch) -> None:
    print_ = graph_cache.fingerprint(root)
    monkeypatch.delenv(graph_cache.CACHE_DIR_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(graph_cache.Path, "home", staticmethod(no_home))
    graph_cache.store(root, None, print_, graph_of(root))  # no exception
    assert graph_cache.load(root, None, print_) is None
