"""Offline checks before anything talks to Modal, and one-line fixes for the failures users hit.

`modal_problem()` must answer in milliseconds without a network call and without importing
`modal` (which takes about a second): it only looks for the package and for credentials in the
environment and in the Modal config file, the same places the Modal client reads them from.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import tomllib
from pathlib import Path

from remote.names import VOLUME_EXPERIMENTS, VOLUME_NAME

FIX_NOT_INSTALLED = "the modal package is not installed: run `pip install 'modal~=1.6'`"
FIX_TOKEN = (
    "no Modal token found: run `modal token new` (or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET)"
)
FIX_BUILD = (
    "the Modal image build failed while compiling rust/: run `cd rust && cargo build --release` "
    "locally, fix the error it shows, and run again"
)
FIX_VOLUME_FULL = (
    f"the Modal volume {VOLUME_NAME} is full: remove old runs with "
    f"`modal volume rm {VOLUME_NAME} {VOLUME_EXPERIMENTS}/RUN_ID -r` "
    "(`modal run remote/app.py::list_experiments` lists them)"
)

_TOKEN_ENV = ("MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET")
_OAUTH_ENV = ("MODAL_OAUTH_REFRESH_TOKEN", "MODAL_OAUTH_CLIENT_ID")
_OAUTH_SECRET_ENV = ("MODAL_OAUTH_CLIENT_SECRET", "MODAL_OAUTH_JWT_KEY")


def modal_config_path() -> Path:
    """The Modal client's config file: `$MODAL_CONFIG_PATH`, else `~/.modal.toml`."""
    return Path(os.environ.get("MODAL_CONFIG_PATH") or Path.home() / ".modal.toml")


def _active_profile(config: dict[str, object]) -> dict[str, object]:
    name = os.environ.get("MODAL_PROFILE")
    if not name:
        active = [k for k, v in config.items() if isinstance(v, dict) and v.get("active") is True]
        name = active[0] if active else "default"
    profile = config.get(name)
    return profile if isinstance(profile, dict) else {}


def has_token() -> bool:
    """True when a Modal client in this environment would find credentials.

    Token id and secret may each come from the environment or from the active profile of the
    config file; OAuth credentials come from the environment only.
    """
    if all(os.environ.get(k) for k in _OAUTH_ENV) and any(
        os.environ.get(k) for k in _OAUTH_SECRET_ENV
    ):
        return True
    profile: dict[str, object] = {}
    path = modal_config_path()
    try:
        with path.open("rb") as f:
            profile = _active_profile(tomllib.load(f))
    except (OSError, tomllib.TOMLDecodeError):
        # A missing or unreadable file simply holds no token; the env vars may still.
        profile = {}
    token_id = os.environ.get("MODAL_TOKEN_ID") or profile.get("token_id")
    token_secret = os.environ.get("MODAL_TOKEN_SECRET") or profile.get("token_secret")
    return bool(token_id) and bool(token_secret)


def modal_problem() -> str | None:
    """The one-line fix for why Modal cannot be used from here, or None when it can."""
    if importlib.util.find_spec("modal") is None:
        return FIX_NOT_INSTALLED
    if not has_token():
        return FIX_TOKEN
    return None


def fix_for_timeout(job_id: str, timeout_s: float | None) -> str:
    limit = f" of {timeout_s:g} s" if timeout_s else ""
    return (
        f"job {job_id} hit its Modal timeout{limit}: raise timeout_s for it in the [modal] section "
        "of data/configs/training.toml (or --validation-timeout), or use a smaller preset"
    )


def is_volume_full(exc: BaseException) -> bool:
    """Whether an error (local or re-raised from a container) means the volume ran out of space."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("no space left", "disk quota", "volume is full"))


def is_build_failure(exc: BaseException) -> bool:
    """Whether a Modal error came from building the image (the Rust compile lives there)."""
    name = type(exc).__name__
    text = str(exc).lower()
    return name == "ImageBuildError" or ("image build" in text and "fail" in text)
