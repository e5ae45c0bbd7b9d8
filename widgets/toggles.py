"""Checkboxes and selection lists whose state reads without colour.

Textual draws both as ``▐X▌``: on and off differ only in the colour of the X. With ``NO_COLOR``
set, or on a terminal without colours (``TERM=dumb``), these draw ``[x]`` / ``[ ]`` instead; with
colours they look exactly like Textual's.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets._toggle_button import ToggleButton

ON, OFF = "[x]", "[ ]"


def colourless(app: Any) -> bool:
    """True when the terminal shows no colour: ``NO_COLOR`` is set or it has no colour system."""
    return bool(app.no_color) or app.console.color_system is None


class OnOffCheckbox(Checkbox):
    """A Checkbox that shows ``[x]`` / ``[ ]`` when there is no colour to tell on from off."""

    @property
    def _button(self) -> Content:
        if not colourless(self.app):
            return super()._button
        return Content(ON if self.value else OFF)


class OnOffSelectionList(SelectionList[str]):
    """A SelectionList that shows ``[x]`` / ``[ ]`` per option when there is no colour."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        if not colourless(self.app):
            return line
        segments = list(line)
        button = (ToggleButton.BUTTON_LEFT, ToggleButton.BUTTON_INNER, ToggleButton.BUTTON_RIGHT)
        if len(segments) < 3 or tuple(s.text for s in segments[:3]) != button:
            return line  # not an option line
        index = self.scroll_offset.y + y
        selected = self.get_option_at_index(index).value in self._selected
        mark = Segment(ON if selected else OFF, segments[1].style)
        return Strip([mark, *segments[3:]], line.cell_length)
