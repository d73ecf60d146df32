"""Fault injection, end to end: runs `ewtui` as a user would and hurts it on purpose (signals at
each phase, kill -9, corrupt files of each kind, a read-only tree, a full disk), then checks
the outcome and prints one table row per fault:

    fault -> exit code, data intact, no orphan, record state

Each fault runs in a throwaway workspace (the tracked data/ of this checkout). Jobs run on the
test double of the binaries (tests/fakebin: real event lines, a phase can be made to hang); the
data check and report merges use the real binaries. Mount-based faults (read-only tree, full
disk) need root and are reported `skipped` otherwise. Exit status: 0 when every fault passed.

Run it with scripts/faults.sh."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.binaries import ensure_binaries  # noqa: E402
from core.paths import Workspace  # noqa: E402
from core.record import RunRecord  # noqa: E402
from core.weights import TARGETS, load_spec, load_weights  # noqa: E402
from tests.conftest import FAKE_JOB, make_workspace  # noqa: E402

ROOT = Path(tempfile.mkdtemp(prefix="ewtui-faults-"))


@dataclass
class Outcome:
    fault: str
    expect: int
    code: int | None = None
    intact: bool = False
    no_orphan: bool = False
    record: str = "-"
    want_record: set[str] = field(default_factory=set)
    note: str = ""
    skipped: bool = False

    @property
    def passed(self) -> bool:
        record_ok = not self.want_record or self.record in self.want_record
        return self.code == self.expect and self.intact and self.no_orphan and record_ok


def fake_bins(real: Path) -> Path:
    d = ROOT / "fakebin"
    d.mkdir()
    for name in ("tune", "validate", "arena"):
        script = d / name
        script.write_text(
            f"#!{sys.executable}\n"
            "import os, runpy, sys\n"
            f"os.environ['EWTUI_REAL_BIN_DIR'] = {str(real)!r}\n"
            f"sys.path.insert(0, {str(REPO)!r})\n"
            f"sys.argv.insert(1, {name!r})\n"
            f"runpy.run_path({str(FAKE_JOB)!r}, run_name='__main__')\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return d


def data_digest(ws: Workspace) -> dict[str, str]:
    out = {}
    for p in sorted(ws.data_dir.rglob("*")):
        if p.is_file() and ".history" not in p.parts:
            out[str(p.relative_to(ws.data_dir))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def weights_intact(ws: Workspace) -> bool:
    """Every deployed weights file loads, and no temporary file is left beside them."""
    spec = load_spec(ws)
    for t in TARGETS:
        try:
            load_weights(ws.weights_file(t), spec)
        except Exception:  # any failure means damaged data
            return False
    return not any(p.name.endswith(".tmp") for p in ws.weights_dir.rglob(".*"))


def orphans(marker: str, wait_s: float = 10.0) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True).stdout.strip()
        if not left or time.monotonic() > deadline:
            return bool(left)
        time.sleep(0.2)


def record_state(ws: Workspace) -> str:
    if not ws.runs_dir.is_dir():
        return "-"
    recs = sorted(ws.runs_dir.glob("*.json"))
    if not recs:
        return "-"
    try:
        return RunRecord.model_validate_json(recs[-1].read_text()).effective_state()
    except ValueError:
        return "unreadable"


class Env:
    def __init__(self, fakebin: Path, real: Path) -> None:
        self.fakebin = fakebin
        self.real = real
        self.n = 0

    def workspace(self) -> Workspace:
        self.n += 1
        return make_workspace(ROOT / f"ws{self.n}")

    def ewtui(
        self, ws: Workspace, args: list[str], env: dict[str, str], *, real: bool = False
    ) -> subprocess.Popen[str]:
        full = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "NO_COLOR": "1",
            "EWTUI_BIN_DIR": str(self.real if real else self.fakebin),
            **env,
        }
        return subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "-C", str(ws.root), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, env=full, cwd=REPO,
        )  # fmt: skip


def wait_for(proc: subprocess.Popen[str], needle: str, timeout: float = 120) -> bool:
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout or []:
            if needle in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    return found.wait(timeout)


# --- the faults ----------------------------------------------------------------------------------


def signal_fault(env: Env, sig: signal.Signals, phase: str) -> Outcome:
    """A signal while a job of ``phase`` hangs."""
    ws = env.workspace()
    if phase == "train":
        knobs = {"FAKE_HANG": "--tag generalist"}
        args = ["--run", "full", "--preset", "smoke", "--single", "generalist"]
    else:
        knobs = {"FAKE_HANG": "--matchup symbiote-obsidion"}
        args = ["--run", "full", "--preset", "smoke", "--single", "generalist", "--cores", "3"]
    expect = -signal.SIGKILL if sig == signal.SIGKILL else 130
    out = Outcome(f"{sig.name} during {phase}", expect, want_record={"interrupted"})
    proc = env.ewtui(ws, [*args, "--json"], knobs)
    if not wait_for(proc, "hanging"):
        proc.kill()
        out.note = "the phase never started"
    else:
        time.sleep(0.5)
        proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out.note = "ewtui did not end"
    out.code = proc.returncode
    out.intact = weights_intact(ws)
    out.no_orphan = not orphans(str(env.fakebin))
    out.record = record_state(ws)
    return out


def bad_file_fault(
    env: Env,
    name: str,
    hurt: Callable[[Workspace], None],
    args: list[str],
    expect: int = 2,
    *,
    real: bool = False,
) -> Outcome:
    """A corrupt or absurd file: a one-line error, the expected exit, nothing else changed."""
    ws = env.workspace()
    hurt(ws)
    before = data_digest(ws)
    proc = env.ewtui(ws, args, {}, real=real)
    _, err = proc.communicate(timeout=300)
    out = Outcome(name, expect, code=proc.returncode)
    errors = [ln for ln in err.splitlines() if "error" in ln]
    one_line = "Traceback" not in err and (expect == 0 or len(errors) == 1)
    out.intact = one_line and data_digest(ws) == before
    out.no_orphan = not orphans(str(ws.root), wait_s=1)
    out.record = record_state(ws)
    if not one_line:
        out.note = (err.strip().splitlines() or [""])[-1][:80]
    return out


def _mounted(where: Path, opts: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                          capture_output=True)  # fmt: skip
    return proc.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def read_only_fault(env: Env) -> Outcome:
    ws = env.workspace()
    out = Outcome("read-only experiments/", 2, want_record={"-"})
    if not _mounted(ws.experiments_dir, "size=1m,ro"):
        out.skipped, out.note = True, "needs root (mount)"
        return out
    try:
        proc = env.ewtui(ws, ["--run", "validate-only", "--preset", "smoke"], {})
        _, err = proc.communicate(timeout=300)
    finally:
        _umount(ws.experiments_dir)
    out.code = proc.returncode
    out.intact = "Traceback" not in err and weights_intact(ws)
    out.no_orphan = not orphans(str(env.fakebin), wait_s=1)
    out.record = record_state(ws)
    return out


def read_only_weights_fault(env: Env) -> Outcome:
    ws = env.workspace()
    out = Outcome("read-only data/weights (deploy)", 2, want_record={"-"})
    exp = ws.experiments_dir / "2026-01-01_0000_generalist-v1"
    exp.mkdir(parents=True)
    spec = load_spec(ws)
    body = "".join(f"{b.name} = {(b.min + b.max) / 2!r}\n" for b in spec.bounds)
    (exp / "weights.toml").write_text(body)
    (exp / "config.toml").write_text('mode = "generalist"\ntag = "generalist-v1"\n')
    (exp / "summary.json").write_text(json.dumps({"mode": "generalist", "tag": "g"}))
    saved = ROOT / f"weights-copy-{env.n}"
    shutil.copytree(ws.weights_dir, saved)
    if not _mounted(ws.weights_dir, "size=1m"):
        out.skipped, out.note = True, "needs root (mount)"
        return out
    try:
        shutil.copytree(saved, ws.weights_dir, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(ws.weights_dir)], check=True)
        before = data_digest(ws)
        proc = env.ewtui(ws, ["weights", "deploy", str(exp), "--force"], {})
        _, err = proc.communicate(timeout=300)
        out.intact = "Traceback" not in err and data_digest(ws) == before and weights_intact(ws)
    finally:
        _umount(ws.weights_dir)
    out.code = proc.returncode
    out.no_orphan = True
    out.record = record_state(ws)
    return out


def full_disk_fault(env: Env) -> Outcome:
    """experiments/ on a tiny tmpfs that fills up during the run."""
    ws = env.workspace()
    out = Outcome("full disk under experiments/", 1, want_record={"failed", "-"})
    if not _mounted(ws.experiments_dir, "size=64k"):
        out.skipped, out.note = True, "needs root (mount)"
        return out
    try:
        filler = ws.experiments_dir / "filler"
        # Leave a few KB: the run starts, then the disk is full.
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (64 * 1024 - 12 * 1024))
        proc = env.ewtui(ws, ["--run", "validate-only", "--preset", "smoke", "--cores", "3"], {})
        _, err = proc.communicate(timeout=300)
        out.code = proc.returncode
        out.record = record_state(ws)
        out.intact = "Traceback" not in err and weights_intact(ws)
        if out.code == 2:  # the run record itself could not be created: refused up front
            out.expect = 2
        if "Traceback" in err:
            out.note = err.strip().splitlines()[-1][:80]
    finally:
        _umount(ws.experiments_dir)
    out.no_orphan = not orphans(str(env.fakebin), wait_s=2)
    return out


def _append(rel: str, text: str) -> Callable[[Workspace], None]:
    return lambda ws: (ws.data_dir / rel).write_text((ws.data_dir / rel).read_text() + text)


def _write(rel: str, data: bytes) -> Callable[[Workspace], None]:
    return lambda ws: (ws.data_dir / rel).write_bytes(data)


def _first(sub: str) -> str:
    return str(sorted((REPO / "data" / sub).glob("*.toml"))[0].relative_to(REPO / "data"))


def _no_decks(ws: Workspace) -> None:
    for p in (ws.decks_dir / "obsidion").glob("*.toml"):
        p.unlink()


def _bad_results(ws: Workspace) -> None:
    for name, body in (("2026-01-01_000000", {"factions": 7}), ("2026-01-02_000000", {})):
        d = ws.validation_dir / name
        d.mkdir(parents=True)
        (d / "results.json").write_text(json.dumps(body))


def _bad_exp_weights(ws: Workspace) -> None:
    d = ws.experiments_dir / "2026-01-01_0000_bad"
    d.mkdir(parents=True)
    (d / "weights.toml").write_bytes(b"own_life = \xff\n")


def run_all() -> list[Outcome]:
    real = ensure_binaries(Workspace(REPO)).tune.parent
    env = Env(fake_bins(real), real)
    smoke = ["--run", "full", "--preset", "smoke"]
    outcomes: list[Outcome] = []
    for phase in ("train", "validate"):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
            outcomes.append(signal_fault(env, sig, phase))
    toml = "configs/training.toml"
    entry = '\n[[training]]\nname = "x"\ntag = "x"\nmode = "generalist"\n'
    nothing: Callable[[Workspace], None] = lambda ws: None  # noqa: E731
    files: list[tuple[str, Callable[[Workspace], None], list[str], int, bool]] = [
        ("non-UTF-8 training.toml", _write(toml, b'x = "\xff"\n'), smoke, 2, False),
        ("training.toml not TOML", _append(toml, "\n[[training\n"), smoke, 2, False),
        ("sigma = inf", _append(toml, entry + "sigma = inf\n"), smoke, 2, False),
        ("games = 2^63-1", _append(toml, entry + f"games = {2**63 - 1}\n"), smoke, 2, False),
        ("bad card file", _append(_first("cards"), "\ngarbage = [\n"), smoke, 2, True),
        ("bad deck file", _write(_first("decks/argentum"), b"cards = [1, 2"), smoke, 2, True),
        ("bad rules.toml", _append("rules.toml", "\n= broken\n"), smoke, 2, True),
        ("no decks for a faction", _no_decks, smoke, 2, True),
        (
            "deployed weights not TOML",
            _write("weights/generalist.toml", b"a = [\n"),
            smoke,
            2,
            True,
        ),
        ("weight spec not JSON", _write("weights/spec.json", b"{"), smoke, 2, True),
        ("results.json factions: 7 (listing)", _bad_results, ["experiments"], 0, False),
        (
            "non-UTF-8 experiment weights",
            _bad_exp_weights,
            ["weights", "diff", "generalist", "2026-01-01_0000_bad"],
            2,
            False,
        ),
        ("5,000-character argument", nothing, ["weights", "deploy", "x" * 5000], 2, False),
        ("--validation-games 2^32", nothing, [*smoke, "--validation-games", f"{2**32}"], 2, False),
        ("--run twice", nothing, [*smoke, "--run", "train-only"], 2, False),
    ]
    for name, hurt, args, code, real_bins in files:
        outcomes.append(bad_file_fault(env, name, hurt, args, code, real=real_bins))
    outcomes.append(read_only_fault(env))
    outcomes.append(read_only_weights_fault(env))
    outcomes.append(full_disk_fault(env))
    return outcomes


def main() -> int:
    try:
        outcomes = run_all()
    finally:
        shutil.rmtree(ROOT, ignore_errors=True)
    yes = {True: "yes", False: "NO"}
    head = (
        f"{'fault':<36} {'exit':>5} {'want':>5}  {'data intact':<11} {'no orphan':<9} "
        f"{'record':<12} result"
    )
    print(head)
    print("-" * len(head))
    for o in outcomes:
        if o.skipped:
            print(
                f"{o.fault:<36} {'-':>5} {o.expect:>5}  {'-':<11} {'-':<9} {'-':<12} "
                f"skipped ({o.note})"
            )
            continue
        result = "ok" if o.passed else "FAILED" + (f" ({o.note})" if o.note else "")
        print(
            f"{o.fault:<36} {o.code!s:>5} {o.expect:>5}  {yes[o.intact]:<11} "
            f"{yes[o.no_orphan]:<9} {o.record:<12} {result}"
        )
    ran = [o for o in outcomes if not o.skipped]
    failed = sum(1 for o in ran if not o.passed)
    skipped = len(outcomes) - len(ran)
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{len(ran) - failed} passed, {failed} failed{tail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
