"""Typed errors and the exit codes of every front end. Every failure a user can cause or meet
is one of these errors; front ends print ``str(err)`` on one line and exit with
``err.exit_code``."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of ``ewtui`` (every command), ``ewtui --run`` and
    ``modal run remote/app.py::main``: the one definition the front ends and docs/cli.md share."""

    OK = 0
    FAILED = 1
    """A job (or a build it needs) failed, or a run ended with errors."""
    USAGE = 2
    """A bad command line, file or setting."""
    BACKEND = 3
    """The chosen backend cannot run jobs."""
    INTERRUPTED = 130
    """The user interrupted the run (Ctrl-C), as a shell reports SIGINT."""

    @classmethod
    def of_run(cls, state: str) -> ExitCode:
        """The exit code of a finished run from its record's ``state``."""
        if state == "ok":
            return cls.OK
        if state == "interrupted":
            return cls.INTERRUPTED
        return cls.FAILED


class EwtuiError(Exception):
    """Base of every user-facing failure."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, msg: str) -> None:
        # One line, always: a multi-line message would break the CLI's promise.
        super().__init__(" ".join(msg.split("\n")))

    @property
    def msg(self) -> str:
        return str(self)


class ConfigError(EwtuiError):
    """A bad file or setting: ``FILE: entry: field: problem``."""

    exit_code = ExitCode.USAGE


class UsageError(EwtuiError):
    """A bad command line or request."""

    exit_code = ExitCode.USAGE


class JobFailed(EwtuiError):
    """A job (or a build it needs) failed."""

    exit_code = ExitCode.FAILED


class BackendUnavailable(EwtuiError):
    """The chosen backend cannot run jobs; the message carries the one-line fix."""

    exit_code = ExitCode.BACKEND


class UnsafeArchive(ConfigError):
    """A tar archive holding paths that escape its destination, or links."""
