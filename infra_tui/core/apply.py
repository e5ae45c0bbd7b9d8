"""Writing a ``ChangePlan`` to disk, safely, all or nothing, even against a racing process.

* every target must resolve inside the repo root: no absolute paths, no ``..``, and never through a
  symlink (of the file or of a folder above it) that leads out of the repo;
* the write itself goes through directory descriptors (``core.dirfd``): each folder is opened
  from the root with ``O_NOFOLLOW``, files are created, swapped and removed relative to it, so a
  folder swapped for a symlink meanwhile is refused, never followed; after the swap every folder
  must still be the one at its path (moved away or replaced: everything is undone, refused);
* nothing is written if any target changed on disk since the plan was made (its text differs from
  ``FileChange.before``, or a file to create already exists): the plan is stale, make it again;
* each file is written to a hidden temp file in its own folder and swapped in atomically with
  ``renameat2(RENAME_EXCHANGE)`` (elsewhere: the old file hard-linked aside, then ``rename``), so
  the replaced file is kept; it is compared with what the plan read, after the swap and again
  after all swaps: an append that landed between the last check and the swap puts every file back
  and refuses ("changed on disk while writing"). New files are linked in (never over a file that
  appeared meanwhile). Permission bits are kept. Any failure puts back what was swapped, keeping
  what other processes wrote to the new files meanwhile (``core.put_back``);
* a journal (``core.write_journal``) records the write before anything is touched, so that the
  next command finishes or rolls back a write killed midway;
* a dirty git tree is a warning, not a refusal. Core runs no subprocess, so the caller passes a
  ``git_status(root) -> [dirty paths]`` function (the CLI runs ``git status --porcelain``).

``INFRA_TUI_TEST_WRITE_PAUSE=N`` (tests only) stops the write at its N-th step (journal written,
each file staged, checked, swapped, verified, committed, cleaned; a roll-back goes on counting
through its own steps) with the line
``infra-tui: test pause at write step N`` on stderr, so a test can ``kill -9`` it exactly there.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from infra_tui.core import dirfd, put_back, textfile, write_journal
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
        problems.extend(_current_form(change, target)[0])
    return problems, targets


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


PAUSE_ENV = "INFRA_TUI_TEST_WRITE_PAUSE"

step_hook: Callable[[int], None] | None = None
"""Tests only: called with the step number at each step of a write (see ``PAUSE_ENV``), so a test
can act as a racing process at an exact moment."""


def apply(plan: ChangePlan, root: Path | str, *, git_status: GitStatus | None = None) -> ApplyResult:
    """Write every file of ``plan`` under ``root``. Raises ``ApplyRefused`` and writes nothing when a
    target is outside the repo, changed since the plan (or while writing), or the plan was refused."""
    root = Path(root)
    result = ApplyResult()
    recovered = write_journal.recover(root)
    if recovered:
        result.warnings.append(recovered)
    problems, targets = check(plan, root)
    if problems:
        raise ApplyRefused(problems)
    forms = {c.path: _current_form(c, targets[c.path])[1] for c in plan.files if c.before is not None}
    if git_status is not None:
        dirty = git_status(root) or []
        if dirty:
            touched = sorted(set(dirty) & {f.path for f in plan.files})
            msg = f"the git tree has uncommitted changes ({len(dirty)} path{'s' if len(dirty) != 1 else ''})"
            if touched:
                msg += "; this plan writes over uncommitted changes in " + ", ".join(touched)
            result.warnings.append(msg + "; review `git diff` before committing")
    root_real = root.resolve()
    files = [_Staged.of(c, targets[c.path].relative_to(root_real), forms.get(c.path)) for c in plan.files]
    _Write(root_real, files).run()
    for f in files:
        if f.kind == "delete":
            result.deleted.append(f.change.path)
        else:
            result.written.append(f.change.path)
            if f.change.created:
                result.created.append(f.change.path)
    return result


@dataclass
class _Staged:
    """One file of a write and how far it got."""

    change: FileChange
    parts: tuple[str, ...]
    name: str
    kind: str
    data: bytes
    entry: write_journal.Entry
    dir_fd: int = -1
    state: str = "none"  # none | staged | swapped
    aside: str = ""  # after the swap: the name holding the replaced file
    exchanged: bool = False

    @classmethod
    def of(cls, change: FileChange, rel: PurePosixPath | Path, form: textfile.TextForm | None) -> _Staged:
        parts = tuple(PurePosixPath(rel).parts)
        kind = "delete" if _is_deletion(change) else "create" if change.before is None else "modify"
        form = form or textfile.TextForm()
        data = b"" if kind == "delete" else form.store(change.after).encode("utf-8")
        before = None if change.before is None else form.store(change.before).encode("utf-8")
        tmp, old = write_journal.hidden_names(parts[-1])
        entry = write_journal.Entry(
            "/".join(parts),
            kind,
            tmp,
            old,
            write_journal.digest(before),
            None if kind == "delete" else write_journal.digest(data),
            None if kind == "delete" else len(data),
        )
        return cls(change, parts[:-1], parts[-1], kind, data, entry)

    @property
    def where(self) -> str:
        return self.change.path

    def matches_plan(self, raw: bytes | None) -> bool:
        """Whether ``raw`` (a file's bytes) is the text the plan was made from."""
        if raw is None:
            return False
        try:
            text = textfile.split_form(raw.decode("utf-8"))[0]
        except UnicodeDecodeError:
            return False
        return text == self.change.before


class _Write:
    def __init__(self, root: Path, files: list[_Staged]):
        self.root = root
        self.files = files
        self.made: list[str] = []
        self.steps = 0
        self.pause_at = os.environ.get(PAUSE_ENV, "")

    def step(self) -> None:
        self.steps += 1
        if step_hook is not None:
            step_hook(self.steps)
        if self.pause_at == str(self.steps):
            print(f"infra-tui: test pause at write step {self.steps}", file=sys.stderr, flush=True)
            time.sleep(3600)

    def run(self) -> None:
        root_fd = dirfd.open_root(self.root)
        try:
            dirs = _missing_dirs(self.root, self.files)
            try:
                journal = write_journal.Open(
                    root_fd, write_journal.Journal([f.entry for f in self.files], dirs)
                )
            except write_journal.Busy:
                raise ApplyRefused(
                    [
                        f"another infra-tui is writing this repo ({write_journal.location(self.root)}); wait for it, then make the plan again"
                    ]
                ) from None
            self.step()
            try:
                self._stage(root_fd)
                self._swap()
                self._verify(root_fd)
            except BaseException as exc:
                clean, kept = self._roll_back(root_fd, journal)
                journal.close(remove=clean)
                if kept and isinstance(exc, Exception):
                    why = exc.reasons if isinstance(exc, ApplyRefused) else [str(exc)]
                    raise ApplyRefused(kept + why) from exc
                raise
            journal.commit()
            self.step()
            for f in self.files:
                if f.aside:
                    dirfd.unlink(f.dir_fd, f.aside)
            deleted = [f for f in self.files if f.kind == "delete"]
            dirfd.remove_empty_dirs(
                root_fd, ["/".join(f.parts[:i]) for f in deleted for i in range(1, len(f.parts) + 1)]
            )
            journal.close()
        finally:
            for f in self.files:
                if f.dir_fd >= 0:
                    os.close(f.dir_fd)
                    f.dir_fd = -1
            os.close(root_fd)

    def _stage(self, root_fd: int) -> None:
        new_mode = 0o666 & ~_umask()
        for f in self.files:
            try:
                f.dir_fd, made = dirfd.open_dir(root_fd, f.parts, create=True)
            except dirfd.Redirected as exc:
                raise ApplyRefused([_redirected(exc.rel)]) from None
            self.made.extend(made)
            if f.kind != "delete":
                mode = new_mode if f.kind == "create" else dirfd.mode_of(f.dir_fd, f.name)
                # written under a name of its own first: a hidden .tmp file only ever holds whole text
                part = write_journal.part_name(f.entry.tmp)
                dirfd.write_new(f.dir_fd, part, f.data, mode)
                dirfd.rename(f.dir_fd, part, f.entry.tmp)
                f.state = "staged"
            self.step()
        # everything is staged: check once more right before the swaps
        late = [p for f in self.files for p in self._stale(f)]
        if late:
            raise ApplyRefused(late)
        self.step()

    def _stale(self, f: _Staged) -> list[str]:
        if f.kind == "create":
            if dirfd.exists(f.dir_fd, f.name):
                return [f"{f.where}: exists now but did not when the plan was made; make the plan again"]
            return []
        try:
            raw = dirfd.read_bytes(f.dir_fd, f.name)
        except OSError as exc:
            return [f"{f.where}: {textfile.why_unreadable(exc)}"]
        if not f.matches_plan(raw):
            return [f"{f.where}: changed on disk since the plan was made; make the plan again"]
        return []

    def _swap(self) -> None:
        for f in self.files:
            if f.kind == "create":
                try:
                    dirfd.link(f.dir_fd, f.entry.tmp, f.name)
                except FileExistsError:
                    raise ApplyRefused(
                        [f"{f.where}: exists now but did not when the plan was made; make the plan again"]
                    ) from None
                f.state = "swapped"
                dirfd.unlink(f.dir_fd, f.entry.tmp)
            elif f.kind == "delete":
                dirfd.rename(f.dir_fd, f.name, f.entry.old)
                f.state, f.aside = "swapped", f.entry.old
            elif dirfd.exchange(f.dir_fd, f.entry.tmp, f.name):
                f.state, f.aside, f.exchanged = "swapped", f.entry.tmp, True
            else:
                dirfd.link(f.dir_fd, f.name, f.entry.old)  # keep the old file aside
                f.state, f.aside = "swapped", f.entry.old  # a roll-back renames it back
                dirfd.rename(f.dir_fd, f.entry.tmp, f.name)
            self._unchanged(f)
            self.step()

    def _unchanged(self, f: _Staged, *, settle: bool = False) -> None:
        """The file this write replaced is the one the plan read (nothing landed in between);
        ``settle``: once no other process holds it open for writing (``dirfd.settled``)."""
        if not f.aside:
            return
        try:
            raw = dirfd.settled(f.dir_fd, f.aside) if settle else dirfd.read_bytes(f.dir_fd, f.aside)
        except dirfd.StillWriting:
            raise ApplyRefused(
                [
                    f"{f.where} is held open for writing by another process; nothing written, re-run once it is done"
                ]
            ) from None
        except OSError:
            raw = None
        if not f.matches_plan(raw):
            raise ApplyRefused([f"{f.where} changed on disk while writing; nothing written, re-run"])

    def _verify(self, root_fd: int) -> None:
        for f in self.files:
            if not dirfd.still_at(root_fd, f.parts, f.dir_fd):
                raise ApplyRefused([_redirected("/".join(f.parts))])
            self._unchanged(f, settle=True)
        self.step()

    def _roll_back(self, root_fd: int, journal: write_journal.Open) -> tuple[bool, list[str]]:
        """Undo what was done, losing nothing another process wrote meanwhile; ``False`` when
        something could not be put back (the journal then stays, for the next command to try),
        and one line per file that had to be kept in two versions (``put_back``)."""
        clean, kept = True, []
        for i, f in reversed(list(enumerate(self.files))):
            if f.dir_fd < 0:
                continue
            try:
                if f.state == "swapped":
                    line = self._put_back(i, f, journal)
                    if line:
                        kept.append(line)
                    f.aside = ""
                dirfd.unlink(f.dir_fd, f.entry.tmp)
                dirfd.unlink(f.dir_fd, write_journal.part_name(f.entry.tmp))
            except OSError:
                clean = False
        dirfd.remove_empty_dirs(root_fd, self.made)
        return clean, kept

    def _put_back(self, i: int, f: _Staged, journal: write_journal.Open) -> str | None:
        where = "/".join((*f.parts, f.name))
        if f.kind == "create":
            try:
                now = dirfd.settled(f.dir_fd, f.name)
            except OSError:
                now = b""
            if now is None or now == f.data:
                dirfd.unlink(f.dir_fd, f.name)
                return None
            return (
                f"{where}: changed by another process while infra-tui was creating it; "
                "left as it is: check it, then make the plan again"
            )
        if f.kind == "delete":
            try:
                dirfd.link(f.dir_fd, f.aside, f.name)
            except FileExistsError:
                side = put_back.keep_aside(f.dir_fd, f.aside, f.name)
                return (
                    f"{where}: made anew by another process while infra-tui was deleting it; "
                    f"left as it is, the deleted file is kept as {_beside(f, side)}: merge, delete it, then make the plan again"
                )
            dirfd.unlink(f.dir_fd, f.aside)
            return None
        spare = f.entry.old if f.exchanged else f.entry.tmp
        written = put_back.Written(f.entry.after or "", len(f.data))
        kept = put_back.restore(
            f.dir_fd, f.name, f.aside, spare, written, lambda at: journal.mark(i, at), self.step
        )
        if kept is None:
            return None
        return (
            f"{where}: changed by another process while infra-tui was writing it and again before it "
            f"was put back: left as that process wrote it, the text it replaced is kept as "
            f"{_beside(f, kept.side)}: merge what you need from it, delete it, then make the plan again"
        )


def _beside(f: _Staged, side: str) -> str:
    return "/".join((*f.parts, side))


def _redirected(rel: str) -> str:
    return f"{rel}: a folder on the way was replaced by a symlink or moved while writing; nothing written, re-run"


def _missing_dirs(root: Path, files: list[_Staged]) -> list[str]:
    missing = []
    for f in files:
        for i in range(1, len(f.parts) + 1):
            rel = "/".join(f.parts[:i])
            if not os.path.lexists(root / rel):
                missing.append(rel)
    return sorted(set(missing))


def _is_deletion(change: FileChange) -> bool:
    return bool(getattr(change, "deleted", False))
