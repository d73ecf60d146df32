"""The deploy gate: a trained weights file replaces the deployed one only when it beats it head
to head on held-out deals, with the 95% lower bound of its score above 50%, measured against the
very file it would replace (same sha256). When the deployed file changed since training, the
candidate is measured again with ``tune --evaluate``; when that is impossible, it is refused.
``force`` overrides the gate; the decision then says so.

A refusal is a normal outcome: the decision carries a one-line reason for the run record, the
summaries and the screens."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from core.errors import ConfigError, EwtuiError, JobFailed
from core.heldout import HeldOut, fmt_points, parse_heldout
from core.paths import Workspace

Action = Literal["deploy", "keep"]

Evaluator = Callable[[str, str, HeldOut | None, dict[str, Any]], HeldOut]
"""``(candidate TOML, target, previous evaluation, run summary)`` -> the evaluation against the
file deployed now. Raises :class:`EwtuiError` when it cannot measure."""


class DeployDecision(BaseModel):
    """What the gate decided for one weights target, and why (one line)."""

    target: str
    job: str
    """The training job (or experiment) whose weights were considered."""
    source: str
    action: Action
    passed: bool
    """The gate's verdict on the evidence, whatever ``force`` made of it."""
    forced: bool = False
    reason: str
    heldout: HeldOut | None = None
    current_sha256: str | None = None
    reevaluated: bool = False

    def note(self) -> str:
        return f"{self.target}: {self.reason}"


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def decide(
    ws: Workspace,
    target: str,
    job: str,
    source: str,
    summary: dict[str, Any],
    weights_text: str,
    *,
    force: bool = False,
    evaluator: Evaluator | None = None,
) -> DeployDecision:
    """Judge the trained ``weights_text`` for ``target`` against the file deployed now."""
    current = file_sha256(ws.weights_file(target))
    heldout = parse_heldout(summary)
    base: dict[str, Any] = {
        "target": target,
        "job": job,
        "source": source,
        "heldout": heldout,
        "current_sha256": current,
    }

    def verdict(passed: bool, why: str, **extra: Any) -> DeployDecision:
        if force and not passed:
            why = "forced (--force-deploy); the gate refused: " + why.removeprefix(
                "kept the deployed file: "
            )
        action: Action = "deploy" if passed or force else "keep"
        return DeployDecision(
            **{**base, **extra},
            action=action,
            passed=passed,
            forced=force and not passed,
            reason=why,
        )

    if current is None:
        return verdict(True, "passed: no file was deployed for this target")
    if heldout is None or heldout.h2h is None:
        return verdict(False, "kept the deployed file: the run has no held-out head-to-head")
    reevaluated = False
    if heldout.baseline_sha256 != current:
        if force:
            return verdict(False, "the deployed file changed since training (not re-evaluated)")
        if evaluator is None:
            return verdict(
                False,
                "kept the deployed file: it changed since training and cannot be re-evaluated here",
            )
        try:
            fresh = evaluator(weights_text, target, heldout, summary)
        except EwtuiError as exc:
            return verdict(
                False,
                f"kept the deployed file: it changed since training and re-evaluation "
                f"failed: {exc}",
            )
        if fresh.h2h is None or fresh.baseline_sha256 != current:
            return verdict(
                False,
                "kept the deployed file: the re-evaluation did not measure the deployed file",
            )
        heldout, reevaluated = fresh, True
        base["heldout"] = heldout
    assert heldout.h2h is not None
    again = ", re-evaluated against the changed file" if reevaluated else ""
    evidence = f"{fmt_points(heldout.h2h)} over {heldout.h2h.games:,} held-out games{again}"
    if heldout.h2h.significant:
        return verdict(True, f"passed: {evidence}", reevaluated=reevaluated)
    return verdict(
        False,
        f"kept the deployed file: {evidence}, lower bound not above 0",
        reevaluated=reevaluated,
    )


def rank_key(summary: dict[str, Any]) -> tuple[int, float]:
    """Order of several trained files for one target: by held-out head-to-head score, then
    (runs without one) by in-training fitness."""
    h = parse_heldout(summary)
    if h is not None and h.h2h is not None:
        return (1, h.h2h.score)
    fit = summary.get("best_fitness")
    return (0, float(fit) if isinstance(fit, int | float) else 0.0)


# --- re-evaluation with `tune --evaluate` --------------------------------------------------------


def evaluate_argv(
    tune: Path,
    ws: Workspace,
    candidate: Path,
    target: str,
    previous: HeldOut | None,
    summary: dict[str, Any],
    threads: int | None = None,
) -> list[str]:
    """The command line that measures ``candidate`` against the file deployed for ``target``,
    with the game counts of the original evaluation."""
    argv = [str(tune), "--evaluate", str(candidate), "--baseline", str(ws.weights_file(target))]
    if target == "generalist":
        argv += ["--mode", "generalist"]
    else:
        argv += ["--mode", "specialist", "--faction", target]
    if previous is not None:
        if previous.h2h_games:
            argv += ["--h2h-games", str(previous.h2h_games)]
        argv += ["--heldout-games", str(previous.games)]
    for key, flag in (("seed", "--seed"), ("mcts_sims", "--mcts-sims")):
        config = summary.get("config")
        value = summary.get(key, config.get(key) if isinstance(config, dict) else None)
        if isinstance(value, int) and not isinstance(value, bool):
            argv += [flag, str(value)]
    fw = summary.get("fitness_weights")
    if isinstance(fw, list) and len(fw) == 3 and all(isinstance(x, int | float) for x in fw):
        argv += ["--fitness-weights", ",".join(f"{float(x):g}" for x in fw)]
    argv += ["--data", str(ws.data_dir), "--json"]
    if threads:
        argv += ["--threads", str(threads)]
    return argv


def tune_evaluator(ws: Workspace, threads: int | None = None) -> Evaluator:
    """An :data:`Evaluator` running the ``tune`` binary (built on first use)."""

    def run(text: str, target: str, previous: HeldOut | None, summary: dict[str, Any]) -> HeldOut:
        from core.binaries import ensure_binaries

        tune = ensure_binaries(ws).tune
        with tempfile.TemporaryDirectory(prefix="ewtui-gate-") as tmp:
            cand = Path(tmp) / "candidate.toml"
            cand.write_text(text, encoding="utf-8")
            argv = evaluate_argv(tune, ws, cand, target, previous, summary, threads)
            proc = subprocess.run(argv, cwd=ws.root, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            raise JobFailed(f"tune --evaluate: {last}")
        lines = proc.stdout.strip().splitlines()
        try:
            return HeldOut.model_validate(json.loads(lines[-1]))
        except (IndexError, ValueError) as exc:
            raise ConfigError(f"tune --evaluate: unreadable output: {exc}") from None

    return run
