"""The ``infra-tui`` flags the TUI reads before its first frame: durations and what to watch.

Kept apart from ``core.settings`` (which reads ``.infra-tui.yaml`` with PyYAML) so that the
console script's path to the first frame imports no YAML library; ``core.settings`` re-exports
both names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WatchRequest:
    """What the TUI was asked to watch: the ``infra-tui`` flags on top of ``.infra-tui.yaml``."""

    overrides: dict[str, Any] = field(default_factory=dict)
    """``ClusterSettings`` fields given as flags (``host``, ``identity_file``...); ``None`` ones are ignored."""
    accept_new_host_key: bool = False
    timeout: float = 20.0
    """Seconds per poll before the connection is reset and the data marked stale."""


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(value: Any) -> float:
    """``5s``, ``1m``, ``1m30s``, ``500ms``, ``2h`` or a plain number of seconds -> seconds.

    Raises ``ValueError`` naming the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError(f"{value!r} is not a duration; write e.g. 5s, 1m, 1m30s or 500ms") from None
            factor = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
            seconds = sum(float(n) * factor[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{value!r} must be more than zero")
    return seconds
