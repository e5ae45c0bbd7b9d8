"""The one exception type that reaches the user: a single clear line, exit code 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or environment. ``str()`` is the whole message: which file, which line, what to do."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, exit_code: int = 2):
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(where + message)
        self.file = file
        self.line = line
        self.exit_code = exit_code
