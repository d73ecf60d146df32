"""Essence Wars training and balance validation on Modal.

    modal run remote/app.py::main [--mode full|train-only|validate-only] [--single NAME]
        [--validation-games N] [--sequential] [--no-deploy] [--force-deploy]
        [--validation-timeout S] [--preset P]
    modal run remote/app.py::list_experiments
    modal run remote/app.py::download_latest [--name RUN_OR_EXPERIMENT]
    modal deploy remote/app.py

The file follows the usual layout of a Modal app: constants, image, volume, functions,
backends, entrypoints. Every function body hands its job to `core.job_process.run_job` (through
`remote.worker`), the same code `ewtui` runs locally; only the transport differs. It is also the
composition root of the Modal side: `make_backend` builds the `ModalBackend` that spawns these
functions, for `ewtui --backend modal`, `main` and the `pipeline` function alike. The flags are
described in docs/modal.md.
"""

from __future__ import annotations

import contextlib
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal

import modal

from core.config import ModalResources, Resources, load_project_config
from core.errors import ConfigError, EwtuiError
from core.paths import Workspace
from core.plan import Plan
from core.snapshot import EXCLUDED_DIRS, is_secret
from remote import worker
from remote.backend import ModalBackend, ModalSpawner, Spawner
from remote.names import (
    APP_NAME,
    IMAGE_BIN_DIR,
    IMAGE_RUST_DIR,
    IMAGE_WORKSPACE,
    VOLUME_MOUNT,
    VOLUME_NAME,
    VOLUME_ROOT_ENV,
)

# --- constants ---------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
RUST_TOOLCHAIN = "1.95.0"
"""Pinned so the cached build layer is reproducible; edition 2024 needs 1.85 or later."""

PYTHON_VERSION = "3.11"
# Build output never enters the Rust layer (it would rebuild the layer on every local build).
RUST_IGNORE = ["**/target"]


def data_ignored(path: Path) -> bool:
    """What of data/ stays home when the app is deployed: the same as for a run's snapshot
    (secrets, the deploy history)."""
    return is_secret(path.name) or any(part in EXCLUDED_DIRS for part in path.parts[:-1])


# The container needs core's dependencies and FastAPI for the web endpoints; the versions come
# from pyproject.toml so they are pinned in one place.
CONTAINER_PACKAGES = ("pydantic", "tomli-w")


def _pinned_packages() -> list[str]:
    try:
        deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        # Inside a container the image is already built; the list is not used there.
        return list(CONTAINER_PACKAGES)
    wanted = [d for d in deps if d.split("~")[0].split("=")[0].strip() in CONTAINER_PACKAGES]
    return [*wanted, "fastapi[standard]"]


def _resources() -> ModalResources:
    """Container sizes from data/configs/training.toml ([modal.train], [modal.validate])."""
    for base in (REPO, Path(str(IMAGE_WORKSPACE))):
        path = base / "data" / "configs" / "training.toml"
        if path.is_file():
            try:
                return load_project_config(path).modal
            except ConfigError as exc:
                print(f"error: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
    return ModalResources()


RESOURCES = _resources()
TRAIN: Resources = RESOURCES.train
VALIDATE: Resources = RESOURCES.validation


def _retries(n: int) -> modal.Retries:
    # A retry lands on a fresh container; the body resumes from the checkpoint on the volume.
    return modal.Retries(max_retries=n, backoff_coefficient=1.0, initial_delay=5.0)


# --- image -------------------------------------------------------------------------------------

image = (
    modal.Image.debian_slim(python_version=PYTHON_VERSION)
    .apt_install("curl", "ca-certificates", "build-essential", "pkg-config")
    .run_commands(
        "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs"
        f" | sh -s -- -y --profile minimal --default-toolchain {RUST_TOOLCHAIN}"
    )
    .env(
        {
            "PATH": "/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "EWTUI_BIN_DIR": str(IMAGE_BIN_DIR),
            VOLUME_ROOT_ENV: str(VOLUME_MOUNT),
        }
    )
    .uv_pip_install(*_pinned_packages())
    # Only rust/ goes into this layer, so the build below reruns only when the Rust sources
    # change; every container then starts with the binaries ready and never runs cargo.
    .add_local_dir(REPO / "rust", str(IMAGE_RUST_DIR), copy=True, ignore=RUST_IGNORE)
    .run_commands(
        f"cd {IMAGE_RUST_DIR} && cargo build --release --locked --bin tune --bin validate"
        f" && mkdir -p {IMAGE_BIN_DIR}"
        f" && cp target/release/tune target/release/validate {IMAGE_BIN_DIR}/"
        " && rm -rf target"
    )
    # Added at container start (not baked): runs started over HTTP use this data; runs started
    # from a machine bring their own snapshot.
    .add_local_dir(REPO / "data", str(IMAGE_WORKSPACE / "data"), ignore=data_ignored)
    .add_local_python_source("core", "remote")
)

# --- volume ------------------------------------------------------------------------------------

volume = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)
app = modal.App(APP_NAME, image=image)


async def _commit() -> None:
    # Outside a container (`.local()` in tests) there is no mounted volume to commit.
    if not modal.is_local():
        await volume.commit.aio()  # type: ignore[no-untyped-call]


async def _reload() -> None:
    if not modal.is_local():
        await volume.reload.aio()  # type: ignore[no-untyped-call]


def _root() -> Path:
    return worker.volume_root()


# --- functions ---------------------------------------------------------------------------------


def _job_container(res: Any) -> dict[str, Any]:
    """Container settings of a job function: the cores as request and hard limit (Modal bills
    the cores used, and the binary caps its threads to them), memory, timeout and retries."""
    return {
        "volumes": {VOLUME_MOUNT: volume},
        "cpu": (res.cpu, res.cpu),
        "memory": res.memory_gib * 1024,
        "timeout": res.timeout_s,
        "retries": _retries(res.retries),
        "env": {worker.CORES_ENV: str(res.cpu)},
    }


async def _run_job(
    job: dict[str, Any], snapshot: bytes, run_id: str, progress: Any, timeout_s: float
) -> dict[str, Any]:
    """The body every job function shares: the job on the volume, committed as it goes."""
    return await worker.run_on_volume(
        job, snapshot, run_id, progress, commit=_commit, reload=_reload, modal_timeout_s=timeout_s
    )


@app.function(**_job_container(TRAIN))
async def train(
    job: dict[str, Any],
    snapshot: bytes,
    run_id: str,
    progress: Any = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """One training config: `tune` on its own container, resuming its checkpoint on a retry."""
    return await _run_job(job, snapshot, run_id, progress, timeout_s or TRAIN.timeout_s)


@app.function(**_job_container(VALIDATE))
async def validate_matchup(
    job: dict[str, Any],
    snapshot: bytes,
    run_id: str,
    progress: Any = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """One faction pair of the round robin."""
    if not job.get("matchup"):
        raise ValueError("validate_matchup needs a job with a matchup; use validate_all")
    return await _run_job(job, snapshot, run_id, progress, timeout_s or VALIDATE.timeout_s)


@app.function(**_job_container(VALIDATE))
async def validate_all(
    job: dict[str, Any],
    snapshot: bytes,
    run_id: str,
    progress: Any = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """The whole round robin in one container (`--sequential`)."""
    return await _run_job(job, snapshot, run_id, progress, timeout_s or VALIDATE.timeout_s)


@app.function(volumes={VOLUME_MOUNT: volume}, timeout=300)
async def volume_experiments() -> list[dict[str, Any]]:
    """Every training experiment and validation report on the volume, newest first."""
    await _reload()
    return worker.list_volume(_root())


@app.function(volumes={VOLUME_MOUNT: volume}, timeout=900)
async def download_experiment(name: str | None = None) -> tuple[str, bytes]:
    """A run (by run id) or one experiment (by its directory name) as tar.gz bytes; the newest
    run when no name is given."""
    await _reload()
    found, dirs = worker.resolve_name(_root(), name)
    return found, worker.tar_dirs(dirs)


@app.function(volumes={VOLUME_MOUNT: volume}, timeout=300)
async def trained_weights(run_id: str) -> dict[str, dict[str, str]]:
    """The trained weights of a run: per training job, `weights.toml` and `summary.json`."""
    await _reload()
    return worker.trained_weights(_root(), run_id)


@app.function(volumes={VOLUME_MOUNT: volume}, timeout=max(TRAIN.timeout_s, VALIDATE.timeout_s) * 2)
async def pipeline(options: dict[str, Any], run_id: str) -> dict[str, Any]:
    """A whole run inside Modal (started over HTTP): the data baked at deploy time, jobs fanned
    out to the functions above, the run record and merged validation kept on the volume."""
    from remote.entry import run_in_container

    def backend(ws: Workspace, plan: Plan) -> ModalBackend:
        return make_backend(ws, plan, spawner=app_spawner(), follow_system_logs=False)

    return await run_in_container(options, run_id, _root(), backend, _commit)


@app.function(timeout=60)
@modal.fastapi_endpoint(method="POST", requires_proxy_auth=True, docs=True)
async def start_training(body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a run; the JSON body takes the options of `main` (mode, single, preset,
    validation_games, sequential, validation_timeout). Returns the call id and the run id."""
    from fastapi import HTTPException  # type: ignore[import-not-found]  # image only

    from core.plan import new_run_id
    from remote.entry import web_options

    try:
        options = web_options(body or {})
    except ValueError as exc:  # also pydantic's ValidationError
        raise HTTPException(status_code=400, detail=" ".join(str(exc).split())) from None
    except EwtuiError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    run_id = new_run_id()
    call = await pipeline.spawn.aio(options, run_id)
    return {"call_id": call.object_id, "run_id": run_id, "options": options}


@app.function(timeout=60)
@modal.fastapi_endpoint(method="GET", requires_proxy_auth=True, docs=True)
async def training_status(call_id: str) -> dict[str, Any]:
    """The state of a run started over HTTP: running, or its final record."""
    from remote.entry import call_status

    return await call_status(modal.FunctionCall.from_id(call_id))


# --- backends ----------------------------------------------------------------------------------


def app_spawner() -> ModalSpawner:
    """Spawns the job functions of this app (which must be running)."""
    return ModalSpawner(train, validate_matchup, validate_all)


async def _ephemeral_app(stack: contextlib.AsyncExitStack) -> Spawner:
    # Runs started from ewtui bring this app up for the run and stop it when the backend closes.
    await stack.enter_async_context(app.run.aio())
    return app_spawner()


def make_backend(
    ws: Workspace,
    plan: Plan,
    *,
    spawner: Spawner | None = None,
    progress: Any = None,
    follow_system_logs: bool = True,
) -> ModalBackend:
    """The backend of a run of `plan`: the project's container sizes, the plan's run id and
    validation timeout. Without `spawner` (a run from ewtui) it starts an ephemeral app of this
    file on the first job; `main` and the `pipeline` function pass the running app's spawner,
    tests an in-process one."""
    return ModalBackend(
        ws,
        resources=plan.resources,
        run_id=plan.run_id,
        validation_timeout_s=plan.validation.timeout_s,
        spawner=spawner,
        connect=None if spawner is not None else _ephemeral_app,
        progress=progress,
        follow_system_logs=follow_system_logs,
    )


# --- entrypoints -------------------------------------------------------------------------------


@app.local_entrypoint()
async def main(
    mode: Literal["full", "train-only", "validate-only"] = "full",
    single: str | None = None,
    validation_games: int | None = None,
    sequential: bool = False,
    no_deploy: bool = False,
    force_deploy: bool = False,
    validation_timeout: int | None = None,
    preset: str | None = None,
) -> None:
    """Train the configs in parallel, deploy their weights here (when the deploy gate lets
    them through, or with --force-deploy), and validate the balance."""
    from remote.entry import run_main

    def backend(ws: Workspace, plan: Plan) -> ModalBackend:
        return make_backend(ws, plan, spawner=app_spawner())

    code = await run_main(
        backend,
        mode=mode,
        single=single,
        validation_games=validation_games,
        sequential=sequential,
        deploy=not no_deploy,
        force_deploy=force_deploy,
        validation_timeout=validation_timeout,
        preset=preset,
    )
    if code:
        raise SystemExit(code)


@app.local_entrypoint()
async def list_experiments() -> None:
    """List the experiments on the volume."""
    from remote.entry import print_listing

    print_listing(await volume_experiments.remote.aio())


@app.local_entrypoint()
async def download_latest(name: str | None = None) -> None:
    """Download the newest run (or `--name RUN_OR_EXPERIMENT`) as
    experiments_modal_<name>.tar.gz in the working directory."""
    from remote.entry import write_archive

    found, data = await download_experiment.remote.aio(name)
    write_archive(Path.cwd(), found, data)
