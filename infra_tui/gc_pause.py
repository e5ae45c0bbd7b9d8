"""No cyclic garbage collection while the TUI starts.

Textual, the app's modules and the first frame make ~60,000 objects, and Python's collector walks
them again and again while they are made: ~120 young passes, a dozen middle ones and a full one,
~40-70 ms of the GIL before the first frame on the 2-core development machine (the full pass
alone ~30 ms), ~10 ms more before the graph. Next to nothing of that is garbage (reference
counting frees the rest). So the TUI's commands turn the collector off before they import the
app (``paused``) and the app turns it back on once its start-up is over (``resume``: when the
screen is thawed, the graph drawn or 1 s after the first frame at most); a command that ends
before that turns it back on as it leaves.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector off in this block, until ``resume`` (if it was on)."""
    global _paused
    _paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        resume()


def resume() -> None:
    """The collector on again if ``paused`` turned it off (once; else nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
