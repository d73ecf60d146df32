"""A bounded, batched log view that is safe to feed raw child-process output."""

from __future__ import annotations

import textwrap
from collections import deque

from textual import events
from textual.widgets import Log

from core.textclean import clean_line

DEFAULT_MAX_LINES = 5_000
FLUSH_INTERVAL_S = 0.1


class LogPane(Log):
    """A `Log` that keeps at most `max_lines` lines and writes in batches.

    `append` only queues a line; a timer moves the queue to the screen every
    `FLUSH_INTERVAL_S`, so a burst of thousands of lines costs one layout pass, not thousands.
    The queue itself is bounded by `max_lines`: lines that would be pruned right after being
    written are never written.
    """

    DEFAULT_CSS = """
    LogPane {
        height: 1fr;
        border: round $panel;
    }
    LogPane:focus {
        border: round $accent;
    }
    """

    def __init__(
        self,
        *,
        max_lines: int = DEFAULT_MAX_LINES,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=True, id=id, classes=classes)
        self._pending: deque[str] = deque(maxlen=max_lines)
        self.lines_received = 0
        self.following = True
        """At the end of the log: new lines and resizes keep it there."""

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL_S, self.flush)

    def append(self, line: str) -> None:
        """Queue one line (any text, possibly with escape sequences or embedded newlines)."""
        for part in line.splitlines() or [""]:
            self._pending.append(clean_line(part))
            self.lines_received += 1

    def extend(self, lines: list[str]) -> None:
        """Queue several lines."""
        for line in lines:
            self.append(line)

    def discard_pending(self) -> None:
        self._pending.clear()

    @property
    def pending(self) -> int:
        """Lines queued but not yet on screen."""
        return len(self._pending)

    def flush(self) -> None:
        """Write every queued line now (a hidden pane keeps them queued until it is shown)."""
        if not self._pending or not self.display or not self.size.width:
            return  # hidden or not laid out yet: lines wait (they wrap at the pane's width)
        batch = list(self._pending)
        self._pending.clear()
        width = self.scrollable_content_region.width
        if width > 20:
            # `Log` cuts long lines; an error is read whole, so lines wrap at the pane's width.
            batch = [
                part
                for line in batch
                for part in (
                    textwrap.wrap(line, width, subsequent_indent="  ", drop_whitespace=False)
                    if len(line) > width
                    else [line]
                )
            ]
        self.following = self.following or self.is_vertical_scroll_end
        self.write_lines(batch, scroll_end=self.following)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        # Scrolling up stops following; coming back to the end resumes it.
        if new < old:
            self.following = self.is_vertical_scroll_end
        elif self.is_vertical_scroll_end:
            self.following = True

    def on_resize(self, _: events.Resize) -> None:
        # A resize moves the end of the log; a pane that was following stays at it.
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
