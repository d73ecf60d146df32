"""Fixed names and in-container paths of the Modal deployment.

Kept apart from `remote.app` so that code which must stay fast and offline (the backend's
pre-flight check, the CLI) can use them without importing `modal`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

APP_NAME = "essence-wars-tuning"
VOLUME_NAME = "essence-wars-experiments"

# Where the volume is mounted in every container. Function bodies read the root from
# VOLUME_ROOT_ENV instead, so a test can point them at a temporary directory.
VOLUME_MOUNT = PurePosixPath("/vol")
VOLUME_ROOT_ENV = "EWTUI_VOLUME_ROOT"

# Volume layout: experiments/<run_id>/<job_id>/ is the experiments directory of one job, so
# concurrent containers and retries never write into each other's files.
VOLUME_EXPERIMENTS = "experiments"

# Image layout: the Rust sources are copied here and built once into BIN_DIR.
IMAGE_RUST_DIR = PurePosixPath("/opt/ewtui/rust")
IMAGE_BIN_DIR = PurePosixPath("/opt/ewtui/bin")
# A workspace baked from the deploying machine, used by runs started over HTTP (no snapshot).
IMAGE_WORKSPACE = PurePosixPath("/opt/ewtui/workspace")

# Modal sets this in every container; it is the container id shown beside each job.
TASK_ID_ENV = "MODAL_TASK_ID"
