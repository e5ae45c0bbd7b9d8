"""The user's own folders for infra-tui: one rule for the config folder and the cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def user_dir(explicit_env: str, xdg_env: str, home_default: str) -> Path:
    """``$explicit_env``, else ``$xdg_env/infra-tui`` (an absolute path only, as the XDG spec
    says), else ``~/<home_default>/infra-tui``."""
    explicit = os.environ.get(explicit_env)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get(xdg_env)
    base = (
        Path(xdg).expanduser()
        if xdg and os.path.isabs(os.path.expanduser(xdg))
        else Path.home() / home_default
    )
    return base / "infra-tui"
