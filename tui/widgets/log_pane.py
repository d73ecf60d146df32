"""A bounded, batched log view that is safe to feed raw child-process output."""

from __future__ import annotations

import re
from collections import deque

from textual.widgets import Log

# CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and lone escapes.
# They are removed rather than interpreted: a log line must never move the cursor or restyle the
# terminal, and the job's structured events already carry what colour would say.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]?")
# Other C0 controls except tab; `Log` would show them as replacement characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

DEFAULT_MAX_LINES = 5_000
FLUSH_INTERVAL_S = 0.1


def clean_line(line: str) -> str:
    """Return `line` without escape sequences, carriage-return overwrites or control bytes."""
    if "\r" in line:
        # A progress bar redraws with \r; only its last state is worth keeping.
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    return _CONTROL.sub("", line)


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
        if not self._pending or not self.display:
            return
        batch = list(self._pending)
        self._pending.clear()
        self.write_lines(batch)
