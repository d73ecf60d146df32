"""Who writes a record, and whether that writer still lives: the process id, the host and the
process's start time (so a reused pid is not taken for the writer), plus a heartbeat for readers
on another host, who cannot see the process.

Run records (``core.record``) and the run markers of training experiments
(``core.experiments``) both carry a :class:`Writer`; every reader asks :func:`Writer.alive`."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass

HEARTBEAT_S = 30.0
"""How often a running pipeline rewrites its record to show it lives."""

STALE_AFTER_S = 10 * HEARTBEAT_S
"""A writer on another host (or of unknown process) is taken for dead after this long without
a sign of life."""


def hostname() -> str:
    return socket.gethostname()


def process_start(pid: int) -> float | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None when the
    system does not tell or the process does not exist. Compared, never shown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last `)`.
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return float(fields[19])  # field 22 of the whole line: starttime
    except (IndexError, ValueError):
        return None


def pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Writer:
    pid: int | None
    host: str | None
    pid_start: float | None
    last_seen: float | None
    """The writer's last sign of life (a heartbeat, or the time it started)."""

    @classmethod
    def me(cls) -> Writer:
        pid = os.getpid()
        return cls(pid, hostname(), process_start(pid), time.time())

    def alive(self, now: float | None = None) -> bool:
        """On this host: the process exists and is the same one (start time). Elsewhere, or
        without a pid: a sign of life within :data:`STALE_AFTER_S`."""
        if self.pid is not None and self.host is not None and self.host == hostname():
            if not pid_exists(self.pid):
                return False
            if self.pid_start is not None:
                current = process_start(self.pid)
                if current is not None and current != self.pid_start:
                    return False  # the pid was reused by another process
            return True
        if self.last_seen is None:
            return False
        now = time.time() if now is None else now
        return now - self.last_seen <= STALE_AFTER_S


def file_age_s(path: str) -> float | None:
    """Seconds since ``path`` last changed, or None when it cannot be read."""
    with contextlib.suppress(OSError):
        return time.time() - os.stat(path).st_mtime
    return None
