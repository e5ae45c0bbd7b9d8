"""The key bar at the bottom, rebuilt only when the keys it shows change.

Textual's ``Footer`` rebuilds its keys after every change of the bindings, whether or not the keys
it shows changed. At start-up three changes arrive together (the screen is resumed, the wizard's
name field takes the focus, and Textual refreshes the bindings once more after the first frame):
three identical rebuilds on the UI thread while the repo loads, each styling, laying out and
painting the key bar (~20 ms each on a quiet machine). This one rebuilds only when what it would
show differs from what it shows.

``KeyFooter(held=True)`` shows no keys until ``release()``: at start-up the first frame has none
(Textual's bindings are not ready before it), and the main screen fills the bar once the
bootstrap graph and the wizard are up, so its styling and layout do not delay them.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyFooter(Footer):
    """A ``Footer`` that skips rebuilds which would show the same keys."""

    def __init__(self, *args: Any, held: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None
        """What the last compose showed (``_keys``), None before the bindings were ready."""
        self._held = held

    def release(self) -> None:
        """Show the keys from now on (a no-op unless made ``held``)."""
        if self._held:
            self._held = False
            if self._bindings_ready and self.is_attached:
                # on the footer's own queue: its compose binds the keys to the active message pump
                self.call_later(self.recompose)

    def _keys(self) -> tuple[Any, ...]:
        """What ``Footer.compose`` reads: the shown bindings (and the command palette's)."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        return (
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE,
            self.compact,
            tuple(
                (key, b.action, b.description, b.group, app.get_key_display(b), enabled, tooltip)
                for key, (_, b, enabled, tooltip) in self.screen.active_bindings.items()
                if b.show or key == palette
            ),
        )

    def compose(self) -> ComposeResult:
        if self._held:
            return
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._held:
            return  # ``release`` recomposes
        if self._shown is not None and self.is_attached and self._keys() == self._shown:
            return
        await super().recompose()
