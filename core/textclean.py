"""Text from child processes made safe to print: no escape sequences, carriage-return redraws or
control bytes. The TUI's log pane and the headless progress lines both print through it."""

from __future__ import annotations

import re

# CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and lone escapes.
# They are removed rather than interpreted: a log line must never move the cursor or restyle the
# terminal, and the job's structured events already carry what colour would say.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]?")
# Other C0 controls except tab, and DEL; C1 controls (U+0080-U+009F) also drive terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_line(line: str) -> str:
    """Return `line` without escape sequences, carriage-return overwrites or control bytes."""
    if "\r" in line:
        # A progress bar redraws with \r; only its last state is worth keeping.
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    return _CONTROL.sub("", line)
