"""Writing a ``ChangePlan`` to disk, safely.

* every target must resolve inside the repo root: no absolute paths, no ``..``, and never through a
  symlink (of the file or of a folder above it) that leads out of the repo;
* nothing is written if any target changed on disk since the plan was made (its text differs from
  ``FileChange.before``, or a file to create already exists): the plan is stale, make it again;
* each file is written to a temp file in its own folder and ``os.replace``d over the target (atomic
  on POSIX), keeping the target's permission bits; if a later file fails, the files already
  replaced are put back and created files and folders removed;
* a dirty git tree is a warning, not a refusal. Core runs no subprocess, so the caller passes a
  ``git_status(root) -> [dirty paths]`` function (the CLI runs ``git status --porcelain``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from infra_tui.core import textfile
from infra_tui.core.model import ChangePlan, FileChange


class ApplyRefused(Exception):
    """The plan was not written; ``reasons`` says why (one line each)."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class ApplyResult:
    written: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


GitStatus = Callable[[Path], "list[str] | None"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def resolve_target(root: Path, rel: str) -> Path:
    """The real path ``rel`` writes to; raises ``ValueError`` when that is not inside ``root``."""
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or ".." in pure.parts or rel.startswith("\\"):
        raise ValueError(f"{rel}: not a path inside the repo")
    root_real = root.resolve()
    target = root_real.joinpath(*pure.parts)
    # resolve() follows every symlink that exists on the way, the file's own included
    real = target.resolve()
    if real != root_real and root_real not in real.parents:
        raise ValueError(
            f"{rel}: resolves to {real}, outside the repo (through a symlink); refusing to write there"
        )
    return real


def check(plan: ChangePlan, root: Path) -> tuple[list[str], dict[str, Path]]:
    """Problems that forbid writing ``plan`` now, and the real path of each target."""
    problems: list[str] = []
    targets: dict[str, Path] = {}
    if plan.refusals:
        problems.extend(plan.refusals)
    for change in plan.files:
        try:
            target = resolve_target(root, change.path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        targets[change.path] = target
        problems.extend(_stale(change, target))
    return problems, targets


def _stale(change: FileChange, target: Path) -> list[str]:
    return _current_form(change, target)[0]


def _current_form(change: FileChange, target: Path) -> tuple[list[str], textfile.TextForm]:
    """Why ``target`` no longer matches the plan (empty: it does), and how it stores its text.

    Plans hold text with ``\n`` line ends and no BOM (``textfile.read``): the file on disk is
    compared in that form, and written back in its own (CRLF stays CRLF, a BOM stays)."""
    form = textfile.TextForm()
    if change.before is None:
        if target.exists() or target.is_symlink():
            return [
                f"{change.path}: exists now but did not when the plan was made; make the plan again"
            ], form
        return [], form
    if not target.is_file():
        return [
            f"{change.path}: is gone or no longer a file since the plan was made; make the plan again"
        ], form
    try:
        current, form = textfile.read(target)
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{change.path}: {textfile.why_unreadable(exc)}"], form
    if current != change.before:
        return [f"{change.path}: changed on disk since the plan was made; make the plan again"], form
    return [], form


def _write_temp(target: Path, text: str, mode: int, form: textfile.TextForm | None = None) -> Path:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".infra-tui.tmp")
    if form is not None:
        text = form.store(text)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def apply(plan: ChangePlan, root: Path | str, *, git_status: GitStatus | None = None) -> ApplyResult:
    """Write every file of ``plan`` under ``root``. Raises ``ApplyRefused`` and writes nothing when a
    target is outside the repo, changed since the plan, or the plan was refused."""
    root = Path(root)
    problems, targets = check(plan, root)
    if problems:
        raise ApplyRefused(problems)
    forms = {c.path: _current_form(c, targets[c.path])[1] for c in plan.files if c.before is not None}
    result = ApplyResult()
    if git_status is not None:
        dirty = git_status(root) or []
        if dirty:
            touched = sorted(set(dirty) & {f.path for f in plan.files})
            msg = f"the git tree has uncommitted changes ({len(dirty)} path{'s' if len(dirty) != 1 else ''})"
            if touched:
                msg += "; this plan writes over uncommitted changes in " + ", ".join(touched)
            result.warnings.append(msg + "; review `git diff` before committing")
    new_mode = 0o666 & ~_umask()
    made_dirs: list[Path] = []
    staged: list[tuple[FileChange, Path, Path | None]] = []  # change, target, temp
    replaced: list[tuple[FileChange, Path]] = []
    try:
        for change in plan.files:
            target = targets[change.path]
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for d in reversed(missing):
                d.mkdir()
                made_dirs.append(d)
            if _is_deletion(change):
                staged.append((change, target, None))
                continue
            mode = stat.S_IMODE(target.stat().st_mode) if change.before is not None else new_mode
            form = forms.get(change.path)
            staged.append((change, target, _write_temp(target, change.after, mode, form)))
        # everything is staged: re-check staleness right before the renames
        late = [p for change, target, _ in staged for p in _stale(change, target)]
        if late:
            raise ApplyRefused(late)
        for change, target, tmp in staged:
            if tmp is None:
                target.unlink()
                replaced.append((change, target))
                result.deleted.append(change.path)
                continue
            os.replace(tmp, target)
            replaced.append((change, target))
            result.written.append(change.path)
            if change.created:
                result.created.append(change.path)
    except BaseException:
        _roll_back(staged, replaced, made_dirs, forms)
        raise
    root_real = root.resolve()
    for path in result.deleted:  # folders a deletion emptied go too
        d = targets[path].parent
        while d != root_real and root_real in d.parents and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
            d = d.parent
    return result


def _is_deletion(change: FileChange) -> bool:
    return bool(getattr(change, "deleted", False))


def _roll_back(
    staged: list[tuple[FileChange, Path, Path | None]],
    replaced: list[tuple[FileChange, Path]],
    made_dirs: list[Path],
    forms: dict[str, textfile.TextForm],
) -> None:
    for _, _, tmp in staged:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    for change, target in reversed(replaced):
        form = forms.get(change.path)
        try:
            if _is_deletion(change):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(_write_temp(target, change.before or "", 0o644 & ~_umask(), form), target)
            elif change.before is None:
                target.unlink(missing_ok=True)
            else:
                tmp = _write_temp(target, change.before, stat.S_IMODE(target.stat().st_mode), form)
                os.replace(tmp, target)
        except OSError:
            pass
    for d in reversed(made_dirs):
        try:
            d.rmdir()
        except OSError:
            pass
