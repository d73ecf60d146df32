"""The Modal app offline: it imports and shows its command lines without a token, its functions
ask for the documented containers, the pre-flight check finds a missing token without the
network, and the entrypoints' local side (flags, listing, archives, web options) behaves."""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from modal_doubles import InProcessSpawner, MemoryQueue

from core.paths import Workspace
from remote import preflight
from remote.backend import ModalBackend
from remote.entry import archive_name, call_status, print_listing, run_main, web_options

REPO = Path(__file__).resolve().parents[1]
MODAL = Path(sys.executable).with_name("modal")
SEED_FLAGS = (
    "--mode",
    "--single",
    "--validation-games",
    "--sequential",
    "--no-deploy",
    "--force-deploy",
    "--validation-timeout",
)


def _offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["MODAL_CONFIG_PATH"] = str(tmp_path / "absent.toml")
    env["HOME"] = str(tmp_path)
    return env


def test_app_imports_without_a_token(tmp_path: Path) -> None:
    code = "import remote.app as a; print(a.app.name, a.volume is not None)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=_offline_env(tmp_path),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["essence-wars-tuning", "True"]


@pytest.mark.skipif(not MODAL.exists(), reason="modal CLI not installed beside this Python")
@pytest.mark.parametrize(
    ("entry", "flags"),
    [("main", SEED_FLAGS), ("list_experiments", ()), ("download_latest", ("--name",))],
)
def test_entrypoints_show_their_flags_offline(
    tmp_path: Path, entry: str, flags: tuple[str, ...]
) -> None:
    out = subprocess.run(
        [str(MODAL), "run", f"remote/app.py::{entry}", "--help"], cwd=REPO,
        env=_offline_env(tmp_path), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    for flag in flags:
        assert flag in out.stdout
    import remote.app as a

    doc, options = a.ENTRYPOINT_HELP[entry]
    text = " ".join(out.stdout.split())
    assert doc in text  # the command says what it does
    for help_text in options.values():
        assert help_text in text  # and every option what it means
    assert "--no-no-" not in out.stdout


def test_functions_ask_for_the_configured_containers() -> None:
    import remote.app as a
    from core.config import load_project_config

    res = load_project_config(REPO / "data" / "configs" / "training.toml").modal
    train = a.train._spec_
    assert train.cpu == (res.train.cpu, res.train.cpu)  # request and hard limit
    assert train.memory == res.train.memory_gib * 1024
    for fn in (a.validate_matchup, a.validate_all):
        assert fn._spec_.cpu == (res.validation.cpu, res.validation.cpu)
    mounted: list[Any] = [a.train, a.validate_matchup, a.validate_all, a.volume_experiments]
    for f in mounted:
        assert [str(p) for p in f._spec_.volumes] == ["/vol"]
    assert a.start_training._is_web_endpoint() and a.training_status._is_web_endpoint()
    assert not a.train._is_web_endpoint()


# --- pre-flight --------------------------------------------------------------------------


@pytest.fixture
def no_modal_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(os.environ):
        if key.startswith("MODAL_"):
            monkeypatch.delenv(key)
    cfg = tmp_path / "modal.toml"
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(cfg))
    return cfg


def test_token_is_found_where_the_modal_client_looks(
    no_modal_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not preflight.has_token()
    assert preflight.modal_problem() == preflight.FIX_TOKEN

    no_modal_env.write_text('[default]\ntoken_id = "ak-1"\ntoken_secret = "as-1"\n')
    assert preflight.has_token() and preflight.modal_problem() is None

    # Several profiles: the active one counts, or the one MODAL_PROFILE names.
    no_modal_env.write_text(
        '[work]\ntoken_id = "ak-1"\ntoken_secret = "as-1"\n[home]\nactive = true\ntoken_id = "x"\n'
    )
    assert not preflight.has_token()
    monkeypatch.setenv("MODAL_PROFILE", "work")
    assert preflight.has_token()
    monkeypatch.delenv("MODAL_PROFILE")

    # Environment variables complete or replace the file.
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-2")
    assert preflight.has_token()
    no_modal_env.write_text("not toml [")
    assert not preflight.has_token()
    monkeypatch.setenv("MODAL_TOKEN_ID", "ak-2")
    assert preflight.has_token()


def test_missing_package_is_reported_before_the_token(
    no_modal_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert preflight.modal_problem() == preflight.FIX_NOT_INSTALLED


async def _unreachable(stack: object) -> Any:
    raise AssertionError("check() must not connect")


async def test_backend_check_raises_the_fix_offline(no_modal_env: Path, ws: Workspace) -> None:
    from core.errors import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="modal token new") as err:
        await ModalBackend(ws, connect=_unreachable).check()
    assert err.value.exit_code == 3


def test_check_does_not_import_modal(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from core.paths import Workspace\n"
        "from remote.backend import ModalBackend\n"
        "async def connect(stack): raise AssertionError\n"
        "try:\n"
        "    asyncio.run(ModalBackend(Workspace('.'), connect=connect).check())\n"
        "except Exception as e:\n"
        "    print(type(e).__name__)\n"
        "print('modal' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=_offline_env(tmp_path),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.stdout.split() == ["BackendUnavailable", "False"], out.stderr


def test_ewtui_run_with_the_modal_backend_and_no_token_exits_3(tmp_path: Path) -> None:
    ewtui = Path(sys.executable).with_name("ewtui")
    if not ewtui.exists():
        pytest.skip("ewtui console script not installed")
    out = subprocess.run(
        [str(ewtui), "--run", "full", "--backend", "modal"], cwd=REPO,
        env=_offline_env(tmp_path), capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert out.returncode == 3
    lines = [ln for ln in (out.stdout + out.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and "modal token new" in lines[0]


# --- entrypoints' local side -------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The .* function is executing locally")
async def test_main_runs_core_pipeline_and_reports_bad_flags(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_bin_dir: Path
) -> None:
    import remote.app as a

    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(tmp_path / "vol"))
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    monkeypatch.setenv("EWTUI_CONTAINER_CORES", "2")
    spawner = InProcessSpawner(a.train, a.validate_matchup, a.validate_all)
    backend = functools.partial(a.make_backend, spawner=spawner, progress=MemoryQueue())

    out = io.StringIO()
    code = await run_main(
        backend, mode="validate-only", preset="smoke", sequential=True, ws=ws, out=out
    )
    assert code == 0, out.getvalue()
    assert "[validate-all] ok" in out.getvalue()
    [saved] = list(ws.validation_dir.iterdir())
    assert (saved / "results.json").is_file() and (saved / "summary.txt").is_file()
    # The round robin, then the merge that builds its report.
    assert [c for c in spawner.calls] == ["local-call-1", "local-call-2"]

    cases: list[tuple[dict[str, Any], str]] = [
        ({"single": "nosuch"}, "nosuch"),
        ({"validation_games": 0}, "validation_games"),
        ({"mode": "everything"}, "mode"),
    ]
    for kwargs, needle in cases:
        out = io.StringIO()
        code = await run_main(backend, ws=ws, out=out, **kwargs)
        text = out.getvalue().strip()
        assert code == 2 and needle in text and len(text.splitlines()) == 1, text


def test_listing_and_archive_names() -> None:
    out = io.StringIO()
    print_listing([], out)
    assert "no experiments" in out.getvalue()
    rows: list[dict[str, Any]] = [
        {"run_id": "r1", "id": "2030-01-01_0000_gen", "kind": "train", "best_fitness": 0.5},
        {"run_id": "r1", "id": "2030-01-01_0000_h2h", "kind": "train", "best_fitness": 0.7,
         "h2h_score": 0.598, "h2h_ci95": [0.576, 0.619]},
        {"run_id": "r1", "id": "r1_validate-all", "kind": "validation", "verdict": "balanced",
         "games": 80},
    ]  # fmt: skip
    out = io.StringIO()
    print_listing(rows, out)
    text = out.getvalue()
    assert "no held-out evaluation; in-training best 0.500 (noisy)" in text
    assert "+9.8 points vs baseline [7.6, 11.9]" in text
    assert "balanced" in text and "3 experiments" in text
    assert archive_name("2030-01-01_000000") == "experiments_modal_2030-01-01_000000.tar.gz"


def test_web_options_are_checked_before_anything_starts() -> None:
    from core.errors import UsageError

    opts = web_options({"mode": "train-only", "single": "generalist"})
    assert opts["mode"] == "train-only" and opts["deploy"] is False and opts["backend"] == "modal"
    assert opts["force_deploy"] is False
    assert web_options({"force_deploy": True})["force_deploy"] is True
    with pytest.raises(UsageError, match="valid: mode"):
        web_options({"cores": 4})
    with pytest.raises(ValueError):
        web_options({"mode": "sideways"})


async def test_status_of_a_call() -> None:
    class Call:
        object_id = "fc-1"

        def __init__(self, outcome: Any) -> None:
            async def get(timeout: float | None = None) -> Any:
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome

            self.get = type("G", (), {"aio": staticmethod(get)})

    assert await call_status(Call(TimeoutError())) == {"call_id": "fc-1", "state": "running"}
    done = await call_status(Call({"run_id": "r", "state": "ok"}))
    assert done == {"call_id": "fc-1", "run_id": "r", "state": "ok"}
    err = await call_status(Call(RuntimeError("gone")))
    assert err["state"] == "error" and "gone" in err["error"]


# --- the Modal transport, against objects shaped like the client's ----------------------


class _Aio:
    def __init__(self, fn: Any) -> None:
        self.aio = fn


class _FakeCall:
    object_id = "fc-42"

    def __init__(self) -> None:
        self.cancelled: list[bool] = []

        async def get() -> dict[str, Any]:
            return {"job_id": "j", "kind": "train", "state": "ok"}

        async def cancel(terminate_containers: bool = False) -> None:
            self.cancelled.append(terminate_containers)

        async def stream() -> Any:
            from modal.types import LogEntry

            for source, msg in [("stdout", "relayed already"), ("system", "Preempted. Retrying")]:
                yield LogEntry(msg, None, source, "fc-42", ["fc-42", "in-1", "ta-7"])  # type: ignore[arg-type]

        self.get = _Aio(get)
        self.cancel = _Aio(cancel)
        self.logs = type("Logs", (), {"stream": _Aio(stream)})()


class _FakeFunction:
    def __init__(self, name: str, log: list[Any]) -> None:
        self.name, self.log = name, log

        async def spawn(*args: Any) -> _FakeCall:
            self.log.append((self.name, args))
            return _FakeCall()

        self.spawn = _Aio(spawn)

    def with_options(self, **kw: Any) -> _FakeFunction:
        self.log.append((self.name, "with_options", kw))
        return self


async def test_modal_spawner_spawns_the_right_function_and_wraps_the_call() -> None:
    from core.jobs import TrainJob, ValidateJob
    from remote.backend import ModalSpawner

    log: list[Any] = []
    sp = ModalSpawner(
        _FakeFunction("train", log), _FakeFunction("pair", log), _FakeFunction("all", log)
    )
    train = TrainJob.model_validate(
        {"id": "train-g", "cores": 16, "config": {"name": "g", "tag": "g", "mode": "generalist"}}
    )
    pair = ValidateJob(id="validate-a-b", run_id="r", games=5, matchup="argentum-symbiote")
    whole = ValidateJob(id="validate-all", run_id="r", games=5)

    call = await sp.spawn(train, b"snap", "r", "queue", 99.0)
    assert log[-1] == ("train", (train.model_dump(mode="json"), b"snap", "r", "queue", None))
    assert await call.result() == {"job_id": "j", "kind": "train", "state": "ok"}
    await call.cancel()
    assert call._call.cancelled == [True]  # type: ignore[attr-defined]
    stream = call.system_logs()
    assert stream is not None
    lines = [x async for x in stream]
    assert [(x.message, x.container_id) for x in lines] == [("Preempted. Retrying", "ta-7")]

    await sp.spawn(pair, b"s", "r", None, 7200.0)
    assert log[-2] == ("pair", "with_options", {"timeout": 7200})
    assert log[-1][1][-1] == 7200  # the body learns its limit too
    await sp.spawn(whole, b"s", "r", None, None)
    assert log[-1][0] == "all"


def test_image_layers_take_only_what_the_build_and_the_jobs_read() -> None:
    import remote.app as a

    assert a.rust_ignored(Path("target/release/tune")) and a.rust_ignored(Path("engine/x.orig"))
    assert a.rust_ignored(Path(".env")) and a.rust_ignored(Path("engine/src/secrets.rs"))
    assert not a.rust_ignored(Path("engine/src/lib.rs")) and not a.rust_ignored(Path("Cargo.lock"))
    assert not a.rust_ignored(Path("jobs/src/bin/tune.rs"))
    assert a.data_ignored(Path("weights/.history/generalist_20300101_000000.toml"))
    assert a.data_ignored(Path("configs/.env")) and a.data_ignored(Path("deploy.pem"))
    assert a.data_ignored(Path("configs/secrets.toml")) and a.data_ignored(Path("notes.txt"))
    assert not a.data_ignored(Path("weights/specialists/argentum.toml"))


def test_rust_layers_come_first_and_no_python_change_touches_them() -> None:
    import remote.app as a

    layers = a.image_layers(["pydantic~=2.10", "tomli-w~=1.0"])
    kinds = [k for k, _, _ in layers]
    build = layers.index(("run_commands", (a.BUILD,), {}))
    python = [i for i, (k, _, _) in enumerate(layers) if k in ("uv_pip_install", "env")]
    python.append(kinds.index("add_local_python_source"))
    assert kinds[:4] == ["apt_install", "run_commands", "add_local_dir", "run_commands"]
    assert build == 3 and all(i > build for i in python)
    # A bumped pin changes nothing before the build, so Modal's cache keeps the binaries.
    bumped = a.image_layers(["pydantic~=2.11", "tomli-w~=1.1", "extra==1"])
    assert bumped[: build + 1] == layers[: build + 1]
    # Every shell step stops at the first failing command, pipes included.
    for step in (a.RUSTUP, a.BUILD):
        assert step.startswith("bash -c 'set -euo pipefail; ")
    assert "| sh" not in a.RUSTUP  # the installer is downloaded, then run
    assert "rm -rf target /root/.cargo/registry" in a.BUILD


def test_a_failing_download_fails_its_build_step(tmp_path: Path) -> None:
    import remote.app as a

    step = a.bash("false | cat", "touch reached")
    out = subprocess.run(step, shell=True, cwd=tmp_path, check=False, capture_output=True)
    assert out.returncode != 0 and not (tmp_path / "reached").exists()


def test_a_non_editable_install_finds_the_checkout_or_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import remote.app as a

    # Installed in site-packages: no rust/ beside the package.
    site = tmp_path / "site-packages" / "remote"
    site.mkdir(parents=True)
    monkeypatch.setattr(a, "__file__", str(site / "app.py"))
    monkeypatch.chdir(REPO)
    assert a.source_root() == REPO  # run from the checkout: its rust/ and data/ are used
    monkeypatch.chdir(tmp_path)
    assert a.source_root() is None
    assert "pip install -e ." in a.FIX_SOURCE and "\n" not in a.FIX_SOURCE
