"""Check boxes whose state reads without colour: a tick when on, blank when off (Textual's own
draw the same `X` for both and tell them apart by colour only, which NO_COLOR erases)."""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.widgets import Checkbox, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

ON = "✔"
OFF = " "


class TickCheckbox(Checkbox):
    """A checkbox drawn `▐✔▌` when checked and `▐ ▌` when not."""

    @property
    def _button(self) -> Content:
        inner = self.get_visual_style("toggle--button")
        side = Style(foreground=inner.background, background=self.background_colors[1])
        return Content.assemble(
            (self.BUTTON_LEFT, side), (ON if self.value else OFF, inner), (self.BUTTON_RIGHT, side)
        )


class TickSelectionList(SelectionList[str]):
    """A selection list whose rows carry `✔` when selected and a blank when not."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3 or segments[0].text != ToggleButton.BUTTON_LEFT:
            return strip
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        mark = ON if selection.value in self._selected else OFF
        segments[1] = Segment(mark, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)
