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

import asyncio
import contextlib
import json
import queue
import shlex
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import modal

from core.backend import Backend
from core.config import MODAL_RETRY_DELAY_S, ModalResources, Resources, load_project_config
from core.errors import BackendUnavailable, ConfigError, EwtuiError, UsageError
from core.paths import Workspace
from core.plan import Plan
from core.snapshot import DATA_FILES, RUST_FILES, allowed
from remote import worker
from remote.backend import ModalBackend, ModalSpawner, Spawner, data_snapshot
from remote.costs import PIPELINE_CPU, PIPELINE_MEMORY_GIB
from remote.detached import DetachedBackend
from remote.limits import check_plan
from remote.names import (
    APP_NAME,
    IMAGE_BIN_DIR,
    IMAGE_RUST_DIR,
    IMAGE_WORKSPACE,
    VOLUME_EXPERIMENTS,
    VOLUME_MOUNT,
    VOLUME_NAME,
    VOLUME_ROOT_ENV,
)

# --- constants ---------------------------------------------------------------------------------

RUST_TOOLCHAIN = "1.95.0"
"""Pinned so the cached build layer is reproducible; edition 2024 needs 1.85 or later."""

PYTHON_VERSION = "3.11"
BUILD_PACKAGES = ("curl", "ca-certificates", "build-essential", "pkg-config")


def source_root() -> Path | None:
    """The checkout whose rust/ and data/ go into the image: the one this file lies in (a
    checkout, or `pip install -e .`), else the workspace of the working directory (after
    `pip install .` this file lies in site-packages, without rust/). None when neither has
    rust/."""
    here = Path(__file__).resolve().parents[1]
    candidates = [here]
    with contextlib.suppress(EwtuiError):
        candidates.append(Workspace.find().root)
    for root in candidates:
        if (root / "rust" / "Cargo.toml").is_file() and (root / "data").is_dir():
            return root
    return None


FIX_SOURCE = (
    "the Modal image is built from a checkout of the repository, and none was found (rust/ is "
    "not beside remote/app.py nor in the working directory): run ewtui from the repository, "
    "or install it with `pip install -e .`"
)

REPO = source_root() or Path(__file__).resolve().parents[1]


def _container_packages() -> list[str]:
    """core's dependencies and FastAPI for the web endpoints, pinned by pyproject.toml (one
    place), without the packages only the local side needs."""
    wanted = ("pydantic", "tomli-w")
    try:
        deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        # Inside a container the image is already built; the list is not used there.
        return [*wanted, "fastapi[standard]"]
    pinned = [d for d in deps if d.split("~")[0].split("=")[0].split(">")[0].strip() in wanted]
    return [*pinned, "fastapi[standard]"]


def _resources() -> ModalResources:
    """Container sizes and prices from data/configs/training.toml ([modal])."""
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
    return modal.Retries(max_retries=n, backoff_coefficient=1.0, initial_delay=MODAL_RETRY_DELAY_S)


# --- image -------------------------------------------------------------------------------------


def bash(*commands: str) -> str:
    """One image build step run by bash with `set -euo pipefail`: any failing command, also one
    inside a pipe, fails the step where it happened (Modal runs steps with /bin/sh otherwise)."""
    return "bash -c " + shlex.quote("set -euo pipefail; " + "; ".join(commands))


RUSTUP = bash(
    "curl --proto '=https' --tlsv1.2 -sSf -o /tmp/rustup-init.sh https://sh.rustup.rs",
    "sh /tmp/rustup-init.sh -y --no-modify-path --profile minimal "
    f"--default-toolchain {RUST_TOOLCHAIN}",
    "rm /tmp/rustup-init.sh",
    "/root/.cargo/bin/cargo --version",
)
BUILD = bash(
    "export PATH=/root/.cargo/bin:$PATH",
    f"cd {IMAGE_RUST_DIR}",
    "cargo build --release --locked --bin tune --bin validate",
    f"mkdir -p {IMAGE_BIN_DIR}",
    f"cp target/release/tune target/release/validate {IMAGE_BIN_DIR}/",
    # Build output and the crate cache are large and never used again.
    "rm -rf target /root/.cargo/registry /root/.cargo/git",
    f"{IMAGE_BIN_DIR}/tune --help > /dev/null",
)


def rust_ignored(rel: Path) -> bool:
    """What of rust/ stays out of the build layer: everything but the manifests, the lock file
    and the sources (build output, editor files, anything a user left there)."""
    return not allowed(REPO / "rust", PurePosixPath(rel.as_posix()), RUST_FILES)


def data_ignored(rel: Path) -> bool:
    """What of data/ stays out of the image: everything the jobs do not read (the same allow
    list as a run's snapshot)."""
    return not allowed(REPO / "data", PurePosixPath(rel.as_posix()), DATA_FILES)


Layer = tuple[str, tuple[Any, ...], dict[str, Any]]


def image_layers(python_packages: list[str]) -> list[Layer]:
    """The image, layer by layer, as data (so a test can read the order). Modal caches each
    layer and rebuilds it when it or any layer before it changes: the Rust toolchain and build
    come first, so a Python pin, an env value or a Python source never rebuilds the binaries;
    only a change under rust/ (its allowed files) does."""
    return [
        ("apt_install", BUILD_PACKAGES, {}),
        # Its own layer, kept in the image: a Rust change then recompiles without downloading
        # the toolchain again. The crate cache and the build output are removed below.
        ("run_commands", (RUSTUP,), {}),
        (
            "add_local_dir",
            (REPO / "rust", str(IMAGE_RUST_DIR)),
            {"copy": True, "ignore": rust_ignored},
        ),
        ("run_commands", (BUILD,), {}),
        (
            "env",
            (
                {
                    "EWTUI_BIN_DIR": str(IMAGE_BIN_DIR),
                    VOLUME_ROOT_ENV: str(VOLUME_MOUNT),
                },
            ),
            {},
        ),
        ("uv_pip_install", tuple(python_packages), {}),
        # Added at container start (not baked): runs started over HTTP use this data; runs
        # started from a machine bring their own snapshot.
        (
            "add_local_dir",
            (REPO / "data", str(IMAGE_WORKSPACE / "data")),
            {"ignore": data_ignored},
        ),
        ("add_local_python_source", ("core", "remote"), {}),
    ]


def build_image(layers: list[Layer]) -> modal.Image:
    img = modal.Image.debian_slim(python_version=PYTHON_VERSION)
    for method, args, kwargs in layers:
        img = getattr(img, method)(*args, **kwargs)
    return img


image = build_image(image_layers(_container_packages()))

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
    the reservation; the binary runs a thread per hyperthread the container really has),
    memory, timeout, retries, and a short scaledown window (an idle container is billed)."""
    return {
        "volumes": {VOLUME_MOUNT: volume},
        "cpu": (res.cpu, res.cpu),
        "memory": res.memory_gib * 1024,
        "timeout": res.timeout_s,
        "retries": _retries(res.retries),
        "scaledown_window": RESOURCES.scaledown_window_s,
        "env": {worker.CORES_ENV: str(res.cpu)},
    }


async def _run_job(
    job: dict[str, Any], snapshot: bytes, run_id: str, progress: Any, timeout_s: float
) -> dict[str, Any]:
    """The body every job function shares: the job on the volume, committed as it goes."""
    return await worker.run_on_volume(
        job, snapshot, run_id, progress, commit=_commit, reload=_reload, modal_timeout_s=timeout_s
    )


JOB_CONTAINERS = {"train": _job_container(TRAIN), "validate": _job_container(VALIDATE)}


@app.function(**JOB_CONTAINERS["train"])
async def train(
    job: dict[str, Any],
    snapshot: bytes,
    run_id: str,
    progress: Any = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """One training config: `tune` on its own container, resuming its checkpoint on a retry."""
    return await _run_job(job, snapshot, run_id, progress, timeout_s or TRAIN.timeout_s)


@app.function(**JOB_CONTAINERS["validate"])
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


@app.function(**JOB_CONTAINERS["validate"])
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


PIPELINE_CONTAINER: dict[str, Any] = {
    "volumes": {VOLUME_MOUNT: volume},
    # It only waits for the jobs and relays their events (the cost estimate counts this size).
    "cpu": PIPELINE_CPU,
    "memory": int(PIPELINE_MEMORY_GIB * 1024),
    # Every job with all its retries, plus the overhead; a run's own limit is set at spawn.
    "timeout": RESOURCES.pipeline_timeout_s(),
    "scaledown_window": RESOURCES.scaledown_window_s,
}


@app.function(**PIPELINE_CONTAINER)
async def pipeline(
    options: dict[str, Any], run_id: str, snapshot: bytes | None = None
) -> dict[str, Any]:
    """A whole run inside Modal: jobs fanned out to the functions above, the run record, the
    merged validation and the run's event stream kept on the volume and sent to the clients
    that follow it. With `snapshot` (a run started from a machine) it uses that machine's
    data/; without (over HTTP), the data baked at deploy time."""
    from remote.entry import run_in_container
    from remote.runlog import PROGRESS_QUEUE

    def backend(ws: Workspace, plan: Plan) -> Backend:
        return make_backend(ws, plan, spawner=app_spawner(), follow_system_logs=False)

    about = {"call_id": modal.current_function_call_id(), "app_id": app.app_id}
    queue = modal.Queue.from_name(PROGRESS_QUEUE, create_if_missing=True)
    return await run_in_container(
        options, run_id, _root(), backend, _commit, snapshot=snapshot, queue=queue, about=about
    )


@app.function(timeout=60)
@modal.fastapi_endpoint(method="POST", requires_proxy_auth=True, docs=True)
async def start_training(body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a run; the JSON body takes the options of `main` (mode, single, preset,
    validation_games, sequential, validation_timeout). Returns the call id and the run id."""
    from fastapi import HTTPException  # type: ignore[import-not-found]  # image only

    from core.plan import new_run_id
    from remote.entry import web_request

    try:
        options, timeout = web_request(
            body if body is not None else {}, Workspace(Path(str(IMAGE_WORKSPACE)))
        )
    except EwtuiError as exc:
        # Unprocessable: the request is well-formed JSON whose values cannot run.
        raise HTTPException(status_code=422, detail=str(exc)) from None
    run_id = new_run_id()
    call = await pipeline.with_options(timeout=timeout).spawn.aio(options, run_id)
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
    return ModalSpawner(train, validate_matchup, validate_all, app_id=app.app_id)


async def _ephemeral_app(stack: contextlib.AsyncExitStack) -> Spawner:
    # A run whose jobs are spawned from here (tests, the old in-process mode).
    await stack.enter_async_context(app.run.aio())
    return app_spawner()


async def read_volume_text(path: str) -> str | None:
    """A file of the volume, read from this machine (no app needed); None when it is missing."""
    vol = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)
    try:
        chunks = [chunk async for chunk in vol.read_file.aio(path)]
    except (FileNotFoundError, modal.exception.NotFoundError):
        return None
    return b"".join(chunks).decode("utf-8", errors="replace")


class ModalRunSource:
    """A client's view of a detached run: its events through the named queue (history first),
    its state through its `pipeline` call, its committed events on the volume."""

    def __init__(self, run_id: str, call: Any = None, app_id: str | None = None) -> None:
        from remote.runlog import PROGRESS_QUEUE

        self.run_id = run_id
        self.app_id = app_id
        self._call = call
        self._queue = modal.Queue.from_name(PROGRESS_QUEUE, create_if_missing=True)

    async def info(self) -> dict[str, Any] | None:
        from remote.runlog import RUN_FILE

        text = await read_volume_text(f"{VOLUME_EXPERIMENTS}/{self.run_id}/pipeline/{RUN_FILE}")
        with contextlib.suppress(ValueError):
            return json.loads(text) if text else None
        return None

    async def _function_call(self) -> Any:
        if self._call is None and (info := await self.info()) and info.get("call_id"):
            self._call = modal.FunctionCall.from_id(info["call_id"])
            self.app_id = self.app_id or info.get("app_id")
        return self._call

    async def register(self, partition: str) -> None:
        from remote.runlog import clients_partition

        await self._queue.put.aio(
            partition, timeout=30, partition=clients_partition(self.run_id), partition_ttl=86400
        )

    async def receive(self, partition: str, timeout_s: float) -> list[Any]:
        try:
            items: list[Any] = await self._queue.get_many.aio(
                100, block=True, timeout=timeout_s, partition=partition
            )
        except queue.Empty:
            return []
        return items

    async def ended(self) -> bool:
        call = await self._function_call()
        if call is None:
            return False  # not started yet (its container is still being scheduled)
        try:
            await call.get.aio(timeout=0)
        except TimeoutError:
            return False
        except Exception:  # failed or cancelled: ended all the same
            return True
        return True

    async def events_file(self) -> str:
        from remote.runlog import EVENTS_FILE

        path = f"{VOLUME_EXPERIMENTS}/{self.run_id}/pipeline/{EVENTS_FILE}"
        return await read_volume_text(path) or ""

    async def cancel(self) -> None:
        call = await self._function_call()
        if call is None:
            raise UsageError(f"run {self.run_id}: not found on the volume (not started yet?)")
        await call.cancel.aio(terminate_containers=True)


def _detached_start(ws: Workspace, plan: Plan, *, own_app: bool) -> Any:
    """The start step of a detached run: the app (detached, when this client starts it), then
    the `pipeline` call with this machine's data and the run's own timeout."""

    async def start(stack: contextlib.AsyncExitStack) -> ModalRunSource:
        if own_app:
            # Detached: the app and its calls go on when this process or its network goes.
            await stack.enter_async_context(app.run.aio(detach=True))
        options = plan.options.model_copy(update={"deploy": False}).model_dump(mode="json")
        snapshot = await asyncio.to_thread(data_snapshot, ws)
        fn = pipeline.with_options(timeout=check_plan(plan))
        call = await fn.spawn.aio(options, plan.run_id, snapshot)
        return ModalRunSource(plan.run_id, call, app.app_id)

    return start


def make_backend(
    ws: Workspace,
    plan: Plan,
    *,
    spawner: Spawner | None = None,
    progress: Any = None,
    follow_system_logs: bool = True,
    own_app: bool = True,
) -> Backend:
    """The backend of a run of `plan`. With `spawner` (the `pipeline` function, tests) jobs are
    spawned from here with `ModalBackend`. Without (ewtui, `main`), the run is detached: the
    `pipeline` function orchestrates it on Modal and `DetachedBackend` follows it; `own_app`
    says whether this client starts the app (ewtui) or runs inside one (`modal run`)."""
    check_plan(plan)
    if spawner is not None:
        return ModalBackend(
            ws,
            resources=plan.resources,
            run_id=plan.run_id,
            validation_timeout_s=plan.validation.timeout_s,
            spawner=spawner,
            progress=progress,
            follow_system_logs=follow_system_logs,
        )
    if source_root() is None:
        raise BackendUnavailable(FIX_SOURCE)
    return DetachedBackend(
        plan.run_id,
        start=_detached_start(ws, plan, own_app=own_app),
        capacity_cores=plan.resources.train.cpu * max(1, len(plan.training)),
    )


def attach_backend(run_id: str) -> DetachedBackend:
    """A backend following a run that was started before (by any client)."""
    return DetachedBackend(run_id, source=ModalRunSource(run_id))


async def volume_runs() -> list[dict[str, Any]]:
    """The detached runs on the volume (their `run.json`), newest first; read from here."""
    from remote.runlog import RUN_FILE

    vol = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)
    try:
        entries = await vol.listdir.aio(VOLUME_EXPERIMENTS)
    except (FileNotFoundError, modal.exception.NotFoundError):
        return []
    rows: list[dict[str, Any]] = []
    for entry in entries:
        run_id = PurePosixPath(entry.path).name
        text = await read_volume_text(f"{VOLUME_EXPERIMENTS}/{run_id}/pipeline/{RUN_FILE}")
        with contextlib.suppress(ValueError, TypeError):
            rows.append(json.loads(text or ""))
    await asyncio.gather(*(_true_state(row) for row in rows))
    return sorted(rows, key=lambda r: str(r.get("run_id", "")), reverse=True)


async def _true_state(row: dict[str, Any]) -> None:
    """A run cancelled or killed never wrote its end into `run.json`: ask its call."""
    if row.get("state") != "running" or not row.get("call_id"):
        return
    from remote.entry import call_status

    with contextlib.suppress(Exception):  # unreachable: the file's word stands
        status = await call_status(modal.FunctionCall.from_id(str(row["call_id"])))
        state = status.get("state")
        if state == "error":
            row["state"] = "stopped"
            row["detail"] = status.get("error", "")
        elif state not in (None, "running"):
            row["state"] = {"ok": "done"}.get(state, state)


# --- entrypoints -------------------------------------------------------------------------------

ENTRYPOINT_HELP: dict[str, tuple[str, dict[str, str]]] = {
    "main": (
        "Train the configs in parallel on Modal, deploy their weights here through the deploy "
        "gate, and validate the balance (docs/modal.md).",
        {
            "mode": "Which phases run: train, deploy and validate (full), or one side.",
            "single": "Train only this config of data/configs/training.toml.",
            "validation_games": "Games per matchup per seat order (default: [validation] games).",
            "sequential": "One container for the whole round robin instead of one per pair.",
            "deploy": "Deploy the trained weights here (--no-deploy leaves data/weights/ alone).",
            "force_deploy": "Deploy even where the deploy gate would keep the current weights.",
            "validation_timeout": "Seconds each validation container may run (1 to 86400).",
            "preset": "Sizes of the jobs: smoke, quick, standard or one you added.",
        },
    ),
    "download_latest": (
        "Download the newest run, or one run or experiment, as a tar.gz here.",
        {"name": "A run id or an experiment's directory name (default: the newest run)."},
    ),
    "list_experiments": ("List the training experiments and validation reports on the volume.", {}),
}
"""What `modal run remote/app.py::ENTRY --help` says: Modal's CLI builds each option from the
function's signature alone, without a description."""


def _describe_entrypoint_options() -> None:
    # Modal's CLI turns an entrypoint's parameters into click options with no help text. Its
    # option builder is wrapped (once, only in the `modal` CLI's process) to add the texts above;
    # if a later client renames it, the help simply goes back to names and types.
    cli_run = sys.modules.get("modal.cli.run")
    build = getattr(cli_run, "_add_click_options", None)
    if build is None or getattr(build, "ewtui_help", False):
        return

    def with_help(func: Any, parameters: dict[str, Any]) -> Any:
        out = build(func, parameters)
        for doc, options in ENTRYPOINT_HELP.values():
            if set(parameters) == set(options):
                func.__doc__ = doc
                for opt in getattr(func, "__click_params__", []):
                    opt.help = options.get(opt.name, opt.help)
        return out

    with_help.ewtui_help = True  # type: ignore[attr-defined]
    cli_run._add_click_options = with_help  # type: ignore[union-attr]


_describe_entrypoint_options()


@app.local_entrypoint()
async def main(
    mode: Literal["full", "train-only", "validate-only"] = "full",
    single: str | None = None,
    validation_games: int | None = None,
    sequential: bool = False,
    deploy: bool = True,
    force_deploy: bool = False,
    validation_timeout: int | None = None,
    preset: str | None = None,
) -> None:
    """Train the configs in parallel, deploy their weights here (when the deploy gate lets
    them through, or with --force-deploy), and validate the balance."""
    from remote.entry import run_main

    def backend(ws: Workspace, plan: Plan) -> Backend:
        # `modal run` has started the app; `modal run --detach` keeps the run going without us.
        return make_backend(ws, plan, own_app=False)

    print(
        "the run is orchestrated on Modal; with `modal run --detach` it goes on if this machine "
        "disconnects, and `ewtui attach RUN_ID` follows it again",
        file=sys.stderr,
    )

    code = await run_main(
        backend,
        mode=mode,
        single=single,
        validation_games=validation_games,
        sequential=sequential,
        deploy=deploy,
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
