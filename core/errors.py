"""Typed errors. Every failure a user can cause or meet is one of these; front ends print
``str(err)`` on one line and exit with ``err.exit_code``."""

from __future__ import annotations


class EwtuiError(Exception):
    """Base of every user-facing failure."""

    exit_code: int = 1

    def __init__(self, msg: str, exit_code: int | None = None) -> None:
        # One line, always: a multi-line message would break the CLI's promise.
        super().__init__(" ".join(msg.split("\n")))
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def msg(self) -> str:
        return str(self)


class ConfigError(EwtuiError):
    """A bad file or setting: ``FILE: entry: field: problem``."""

    exit_code = 2


class UsageError(EwtuiError):
    """A bad command line."""

    exit_code = 2


class JobFailed(EwtuiError):
    """A job (or a build it needs) failed."""

    exit_code = 1


class BackendUnavailable(EwtuiError):
    """The chosen backend cannot run jobs; the message carries the one-line fix."""

    exit_code = 3


class Interrupted(EwtuiError):
    """The user interrupted the run (Ctrl-C)."""

    exit_code = 130


class UnsafeArchive(ConfigError):
    """A tar archive holding paths that escape its destination, or links."""
