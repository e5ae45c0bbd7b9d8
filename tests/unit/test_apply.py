"""apply: atomic writes inside the repo only, stale plans and symlinks out refused, rollback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from infra_tui.core import apply as apply_mod
from infra_tui.core.model import ChangePlan, FileChange


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    (r / "clusters" / "local-kube").mkdir(parents=True)
    (r / "clusters" / "local-kube" / "infrastructure.yaml").write_text("# head\n---\na: 1\n")
    return r


def plan_for(root: Path, *extra: FileChange) -> ChangePlan:
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    before = infra.read_text()
    return ChangePlan(
        files=[
            FileChange("namespaces/app/namespace.yaml", None, "kind: Namespace\n"),
            FileChange("clusters/local-kube/infrastructure.yaml", before, before + "---\nb: 2\n"),
            *extra,
        ]
    )


def test_writes_created_and_modified_files_keeping_permissions(root: Path):
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    os.chmod(infra, 0o640)
    result = apply_mod.apply(plan_for(root), root)
    assert result.written == ["namespaces/app/namespace.yaml", "clusters/local-kube/infrastructure.yaml"]
    assert result.created == ["namespaces/app/namespace.yaml"]
    assert infra.read_text() == "# head\n---\na: 1\n---\nb: 2\n"
    assert stat.S_IMODE(infra.stat().st_mode) == 0o640
    created = root / "namespaces" / "app" / "namespace.yaml"
    assert created.read_text() == "kind: Namespace\n"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(created.stat().st_mode) == 0o666 & ~umask
    assert not list(root.rglob("*.infra-tui.tmp"))


def test_refuses_a_target_changed_since_the_plan(root: Path):
    plan = plan_for(root)
    (root / "clusters" / "local-kube" / "infrastructure.yaml").write_text("# edited by someone\n")
    with pytest.raises(apply_mod.ApplyRefused, match="changed on disk since the plan was made"):
        apply_mod.apply(plan, root)
    assert not (root / "namespaces").exists()


def test_refuses_a_created_file_that_now_exists(root: Path):
    plan = plan_for(root)
    (root / "namespaces" / "app").mkdir(parents=True)
    (root / "namespaces" / "app" / "namespace.yaml").write_text("mine\n")
    with pytest.raises(apply_mod.ApplyRefused, match="exists now"):
        apply_mod.apply(plan, root)
    assert (root / "namespaces" / "app" / "namespace.yaml").read_text() == "mine\n"


def test_refuses_paths_outside_the_repo(root: Path):
    for bad in ("../escape.yaml", "/etc/passwd", "namespaces/../../x.yaml"):
        with pytest.raises(apply_mod.ApplyRefused, match="not a path inside the repo"):
            apply_mod.apply(ChangePlan(files=[FileChange(bad, None, "x\n")]), root)


def test_refuses_a_symlinked_folder_leading_out(root: Path, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "namespaces").symlink_to(outside)
    with pytest.raises(apply_mod.ApplyRefused, match="outside the repo"):
        apply_mod.apply(plan_for(root), root)
    assert list(outside.iterdir()) == []
    assert (root / "clusters" / "local-kube" / "infrastructure.yaml").read_text() == "# head\n---\na: 1\n"


def test_refuses_a_symlinked_file_leading_out(root: Path, tmp_path: Path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("a: 1\n")
    link = root / "clusters" / "local-kube" / "extra.yaml"
    link.symlink_to(outside)
    plan = ChangePlan(files=[FileChange("clusters/local-kube/extra.yaml", "a: 1\n", "a: 2\n")])
    with pytest.raises(apply_mod.ApplyRefused, match="outside the repo"):
        apply_mod.apply(plan, root)
    assert outside.read_text() == "a: 1\n"


def test_a_symlink_inside_the_repo_is_written_through(root: Path):
    real = root / "clusters" / "local-kube" / "infrastructure.yaml"
    (root / "clusters" / "alias").symlink_to(root / "clusters" / "local-kube")
    before = real.read_text()
    apply_mod.apply(
        ChangePlan(files=[FileChange("clusters/alias/infrastructure.yaml", before, before + "c: 3\n")]), root
    )
    assert real.read_text().endswith("c: 3\n") and (root / "clusters" / "alias").is_symlink()


def test_refused_plan_is_never_written(root: Path):
    plan = plan_for(root)
    plan.refusals.append("name is bad")
    with pytest.raises(apply_mod.ApplyRefused, match="name is bad"):
        apply_mod.apply(plan, root)
    assert not (root / "namespaces").exists()


def test_dirty_git_tree_is_a_warning(root: Path):
    calls = []

    def status(r: Path):
        calls.append(r)
        return ["clusters/local-kube/infrastructure.yaml", "README.md"]

    result = apply_mod.apply(plan_for(root), root, git_status=status)
    assert calls == [root]
    (w,) = result.warnings
    assert "uncommitted changes (2 paths)" in w and "clusters/local-kube/infrastructure.yaml" in w
    assert result.written


def test_failure_midway_rolls_everything_back(root: Path, monkeypatch):
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    original = infra.read_text()
    plan = plan_for(root, FileChange("namespaces/app/z.yaml", None, "z\n"))
    real_link = apply_mod.dirfd.link
    count = {"n": 0}

    def flaky(dir_fd, src, dst):
        count["n"] += 1
        if count["n"] == 2:  # the last file, after the first two were swapped in
            raise OSError(28, "No space left on device")
        return real_link(dir_fd, src, dst)

    monkeypatch.setattr(apply_mod.dirfd, "link", flaky)
    with pytest.raises(OSError, match="No space"):
        apply_mod.apply(plan, root)
    monkeypatch.setattr(apply_mod.dirfd, "link", real_link)
    assert infra.read_text() == original
    assert not (root / "namespaces").exists()
    assert not [p for p in root.rglob(".*") if "infra-tui" in p.name]


def test_a_live_write_is_left_alone_and_a_second_one_refused(root: Path):
    """The journal of a write in progress is locked: no recovery touches it, no second write starts."""
    from infra_tui.core import dirfd, journal_where, write_journal

    root_fd = dirfd.open_root(root)
    live = write_journal.Open(root_fd, write_journal.Journal([]))
    journal = write_journal.location(root)
    try:
        assert journal == root.resolve() / ".infra-tui-journal"  # not a git repo: a dotfile in the root
        assert write_journal.recover(root) is None and journal.exists()
        assert journal_where.may_exist(root)
        with pytest.raises(apply_mod.ApplyRefused, match="another infra-tui is writing this repo"):
            apply_mod.apply(plan_for(root), root)
    finally:
        live.close()
        os.close(root_fd)
    assert not journal.exists() and not journal_where.may_exist(root)
    apply_mod.apply(plan_for(root), root)
    assert not journal.exists() and not journal_where.may_exist(root)


def test_the_journal_of_a_git_repo_lives_in_git(root: Path):
    from infra_tui.core import write_journal

    (root / ".git").mkdir()
    assert write_journal.location(root) == root.resolve() / ".git" / "infra-tui-journal"


def test_a_file_system_without_hard_links_or_exchange_is_written_all_the_same(root: Path, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(apply_mod.dirfd.os, "link", no_links)
    monkeypatch.setattr(apply_mod.dirfd, "exchange", lambda *a: False)
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    plan = plan_for(root)
    apply_mod.apply(plan, root)
    assert infra.read_text().endswith("b: 2\n")
    assert (root / "namespaces" / "app" / "namespace.yaml").read_text() == "kind: Namespace\n"
    assert not [p for p in root.rglob(".*") if "infra-tui" in p.name]
