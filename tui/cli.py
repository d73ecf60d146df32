"""The ``ewtui`` command: the Textual control center with no arguments, the pipeline headless
with ``--run``, and scripting commands (``experiments``, ``weights``).

Heavy modules (textual, rich, pydantic, modal) load only inside the command that needs them, so
``ewtui --help`` answers at once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import ExitCode

_EPILOG = """\
exit codes: 0 ok, 1 a job failed, 2 usage or config error, 3 backend unavailable,
130 interrupted (core.errors.ExitCode). Full reference: docs/cli.md."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


_COUNT_MAX = 2**32 - 1  # core.config.COUNT_MAX, without importing pydantic for --help
_CORES_MAX = 65535  # the binaries' --threads is a u16


def _bounded_int(limit: int) -> Any:
    def parse(text: str) -> int:
        value = _positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"expected at most {limit}, got {text!r}")
        return value

    return parse


class _Once(argparse.Action):
    """An option that may be given once: `--run full --run train-only` is a conflict, not a
    choice of the last one."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        before = getattr(namespace, self.dest, None)
        if before is not None and before != values:
            parser.error(f"{option} given twice ({before} and {values}): choose one")
        setattr(namespace, self.dest, values)


def _positive_even(text: str) -> int:
    value = _positive_int(text)
    if value % 2:
        raise argparse.ArgumentTypeError(
            f"expected a positive even number (both seats equally), got {text!r}"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # One line and exit code 2, without the usage block argparse would print.
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ewtui",
        description=(
            "Control center for training and balancing the Essence Wars bots. Without "
            "arguments it opens the interactive app; --run runs the pipeline headless."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-C",
        "--workspace",
        metavar="DIR",
        help="the workspace (a directory holding data/rules.toml, or below one); "
        "default: found upward from the working directory",
    )
    run = p.add_argument_group("headless pipeline")
    run.add_argument(
        "--run",
        action=_Once,
        choices=("full", "train-only", "validate-only"),
        help="run the pipeline without the app: full (train, deploy, validate), "
        "train-only (train and deploy) or validate-only (validate the deployed weights)",
    )
    run.add_argument(
        "--backend",
        choices=("local", "modal"),
        default="local",
        help="where the jobs run: this machine (default) or Modal containers",
    )
    run.add_argument(
        "--preset",
        metavar="NAME",
        help="size preset from data/configs/training.toml: smoke, quick, standard "
        "(default: its default_preset)",
    )
    run.add_argument(
        "--single", metavar="NAME", help="train only the training config NAME (e.g. generalist)"
    )
    run.add_argument(
        "--validation-games",
        type=_bounded_int(_COUNT_MAX),
        metavar="N",
        help="games per matchup per seat order (a round robin plays matchups x 2 x N games)",
    )
    run.add_argument(
        "--sequential",
        action="store_true",
        help="validate in one job instead of one job per faction pair (same report)",
    )
    run.add_argument(
        "--no-deploy",
        action="store_true",
        help="keep the trained weights in their experiments; do not install them in data/weights",
    )
    run.add_argument(
        "--force-deploy",
        action="store_true",
        help="deploy the trained weights even when the deploy gate would keep the deployed "
        "ones (their held-out head-to-head lower bound is not above 50%%)",
    )
    run.add_argument(
        "--validation-timeout",
        type=_positive_float,
        metavar="S",
        help="seconds each validation job may run before it is stopped",
    )
    run.add_argument(
        "--cores",
        type=_bounded_int(_CORES_MAX),
        metavar="N",
        help="local backend: cores to use at once (default: all; more than the machine has "
        "is capped)",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help="with --run: event lines on stdout (progress stays on stderr); "
        "with experiments: the list as JSON",
    )

    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    ex = sub.add_parser("experiments", help="list experiments (training and validation)")
    ex.add_argument("--json", action="store_true", dest="sub_json", help="one JSON array")
    ex.add_argument("--kind", choices=("train", "validation"), help="only this kind")
    ex.add_argument("--tag", help="only experiments whose tag contains TAG")
    ex.add_argument("--mode", choices=("generalist", "specialist"), help="only this mode")
    ex.add_argument("--since", metavar="DATE", help="only experiments since DATE (YYYY-MM-DD)")
    ex.add_argument("--min-fitness", type=float, metavar="F", help="only best fitness >= F")
    ex.add_argument(
        "--sort",
        choices=("created", "best_fitness", "tag", "kind", "id", "games"),
        default="created",
        help="sort key (default: created, newest first)",
    )
    ex.add_argument("--limit", type=_positive_int, metavar="N", help="show at most N")

    w = sub.add_parser("weights", help="diff, deploy and roll back bot weights")
    wsub = w.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=_Parser)
    wsub.required = True
    d = wsub.add_parser(
        "diff",
        help="compare two weights: a file, an experiment, or a deployed target "
        "(generalist, argentum, symbiote, obsidion)",
    )
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--json", action="store_true", dest="sub_json", help="the deltas as JSON")
    dep = wsub.add_parser(
        "deploy", help="install an experiment's weights in data/weights (previous file kept)"
    )
    dep.add_argument("experiment", metavar="EXPERIMENT", help="experiment name or directory")
    dep.add_argument(
        "--target",
        choices=("generalist", "argentum", "symbiote", "obsidion"),
        help="weights to replace (default: what the experiment trained)",
    )
    dep.add_argument(
        "--force",
        action="store_true",
        help="deploy even when the deploy gate refuses (without a terminal, the only way; "
        "on a terminal ewtui asks)",
    )
    lad = sub.add_parser(
        "ladder",
        help="strength ladder: Elo ratings of random, greedy, mcts and every deployed "
        "generalist version, from stored arena games",
    )
    lad.add_argument("--json", action="store_true", dest="sub_json", help="the ladder as JSON")
    lad.add_argument(
        "--no-play",
        action="store_true",
        help="rate from the stored games only (entries without games stay unrated)",
    )
    lad.add_argument(
        "--greedy-games",
        type=_positive_even,
        metavar="N",
        help="games per new pairing without MCTS (default: [ladder] greedy_games)",
    )
    lad.add_argument(
        "--mcts-games",
        type=_positive_even,
        metavar="N",
        help="games per new pairing with an MCTS bot (default: [ladder] mcts_games)",
    )
    att = sub.add_parser(
        "attach",
        help="follow a run on Modal (started here or elsewhere) to its end, then deploy its "
        "weights here through the deploy gate",
    )
    att.add_argument("run_id", metavar="RUN_ID", help="the run's id (ewtui runs --backend modal)")
    att.add_argument("--cancel", action="store_true", help="cancel the run on Modal instead")
    att.add_argument(
        "--no-deploy", dest="attach_no_deploy", action="store_true",
        help="follow and record the run, but leave data/weights/ alone",
    )  # fmt: skip
    runs = sub.add_parser("runs", help="list the runs on Modal with their state")
    runs.add_argument(
        "--backend", dest="runs_backend", choices=("modal",), required=True,
        help="where the runs are (modal: the runs on the Modal volume)",
    )  # fmt: skip
    rb = wsub.add_parser("rollback", help="restore the weights replaced by the last deploy")
    rb.add_argument("--list", action="store_true", help="list the backups instead")
    return p


# --- commands ------------------------------------------------------------------------------------


def _workspace(args: argparse.Namespace) -> Any:
    from core.paths import Workspace

    return Workspace.find(args.workspace)


_RUN_ONLY = (
    ("preset", "--preset"),
    ("single", "--single"),
    ("validation_games", "--validation-games"),
    ("validation_timeout", "--validation-timeout"),
    ("cores", "--cores"),
)


def _cmd_run(args: argparse.Namespace) -> int:
    from core.plan import RunOptions
    from tui.headless import run_headless

    options = RunOptions(
        mode=args.run,
        backend=args.backend,
        preset=args.preset,
        single=args.single,
        validation_games=args.validation_games,
        sequential=args.sequential,
        deploy=not args.no_deploy,
        force_deploy=args.force_deploy,
        validation_timeout=args.validation_timeout,
        cores=args.cores,
    )
    return run_headless(_workspace(args), options, json_lines=args.json)


def _cmd_experiments(args: argparse.Namespace) -> int:
    import json
    from datetime import datetime

    from core.errors import UsageError
    from core.experiments import ExperimentStore

    store = ExperimentStore(_workspace(args))
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since: expected a date YYYY-MM-DD, got {args.since!r}") from None
    rows = store.filter(
        kind=args.kind, tag=args.tag, mode=args.mode, since=since, min_fitness=args.min_fitness
    )
    for warning in store.warnings:
        print(f"ewtui: warning: {warning}", file=sys.stderr)
    rows = store.sort(args.sort, reverse=args.sort in ("created", "best_fitness"), items=rows)
    if args.limit:
        rows = rows[: args.limit]
    if args.json or args.sub_json:
        from core.events import finite_json

        rows_json = finite_json([r.model_dump(mode="json") for r in rows])
        print(json.dumps(rows_json, indent=2, allow_nan=False))
        return ExitCode.OK
    if not rows:
        print(f"no experiments in {store.ws.experiments_dir}")
        return ExitCode.OK
    print(f"{'experiment':<40} {'kind':<10} {'tag/verdict':<20} {'best fit':>8} {'gens':>9}")
    for r in rows:
        label = (r.tag or "") if r.kind == "train" else (r.verdict or "")
        if r.state != "done":
            label = f"{label} ({r.state})".strip()
        fit = f"{r.best_fitness:.3f}" if r.best_fitness is not None else "-"
        gens = (
            f"{r.generations}/{r.generations_planned or r.generations}"
            if r.generations is not None
            else (f"{r.games} g" if r.games is not None else "-")
        )
        print(f"{r.id:<40} {r.kind:<10} {label:<20} {fit:>8} {gens:>9}")
    return ExitCode.OK


def _resolve_weights(ws: Any, ref: str) -> Path:
    """A weights file from a path, a deployed target name, or an experiment name."""
    from core.errors import ConfigError
    from core.weights import TARGETS

    p = Path(ref)
    if p.is_file():
        return p
    if ref in TARGETS:
        return Path(ws.weights_file(ref))
    for d in (p, ws.experiments_dir / ref):
        if (d / "weights.toml").is_file():
            return d / "weights.toml"
    raise ConfigError(
        f"{ref}: not a weights file, a deployed target ({', '.join(TARGETS)}) or an experiment"
    )


def _cmd_weights(args: argparse.Namespace) -> int:
    import json

    from core import weights as W

    ws = _workspace(args)
    if args.weights_command == "diff":
        spec = W.load_spec(ws)
        a = W.load_weights(_resolve_weights(ws, args.a), spec)
        b = W.load_weights(_resolve_weights(ws, args.b), spec)
        deltas = W.diff(a, b, spec)
        if args.sub_json:
            print(json.dumps([d.model_dump() for d in deltas], indent=2))
            return ExitCode.OK
        if not any(d.delta for d in deltas):
            print(f"identical: all {len(deltas)} weights are equal")
            return ExitCode.OK
        print(f"{'weight':<26} {'A':>12} {'B':>12} {'delta':>12} {'%':>9}")
        for d in deltas:
            if not d.delta:
                continue  # the count below says how many are equal
            pct = f"{d.pct:+.1f}%" if d.pct is not None else "-"
            mark = "  large" if d.large else ""
            print(f"{d.name:<26} {d.old:>12.6g} {d.new:>12.6g} {d.delta:>+12.4g} {pct:>9}{mark}")
        changed = sum(1 for d in deltas if d.delta != 0)
        print(f"{changed} of {len(deltas)} weights differ")
        return ExitCode.OK
    if args.weights_command == "deploy":
        return _weights_deploy(ws, args)
    if args.list:
        entries = W.history(ws)
        if not entries:
            print(f"no backups in {ws.history_dir}")
        for e in entries:
            source = f"  (replaced by {e.source})" if e.source else ""
            print(f"{e.stamp:<18} {e.target:<11} {e.path}{source}")
        return ExitCode.OK
    restored = W.rollback(ws)
    for e in restored:
        print(f"restored {ws.weights_file(e.target)} from {e.path}")
    return ExitCode.OK


def _confirm(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _weights_deploy(ws: Any, args: argparse.Namespace) -> int:
    """Show the experiment's held-out evaluation, ask the gate, and deploy what it lets
    through. A refusal is an answer, not an error: exit 0 with its line."""
    from core import weights as W
    from core.errors import ConfigError
    from core.experiments import ExperimentStore
    from core.fsutil import read_text
    from core.gate import decide, file_sha256, tune_evaluator
    from core.heldout import evaluation_lines

    store = ExperimentStore(ws)
    exp = store.get(args.experiment)
    if exp.kind != "train":
        raise ConfigError(f"{exp.path}: not a training experiment")
    W.deployable(Path(exp.path), args.force)
    # Without its summary or config an experiment does not say what it trained.
    target = args.target or (exp.target if exp.mode else None)
    if target is None:
        raise ConfigError(f"{exp.path}: cannot tell which weights it trained: give --target")
    source = Path(exp.path) / "weights.toml"
    text = read_text(source)
    W.parse_weights(text, W.load_spec(ws), str(source))  # bad weights: exit 2 before anything
    summary = store.load_summary(exp) if exp.complete else {}
    current = file_sha256(ws.weights_file(target))
    print(f"{exp.id} -> {target} ({ws.weights_file(target)})")
    for line in evaluation_lines(summary, current, shown=ws.shown):
        print(f"  {line}")
    decision = decide(
        ws,
        target,
        exp.id,
        str(source),
        summary,
        text,
        force=args.force,
        evaluator=tune_evaluator(ws),
    )
    if decision.reevaluated and decision.heldout is not None and decision.heldout.h2h:
        from core.heldout import fmt_points

        print(f"  re-evaluated against the deployed file: {fmt_points(decision.heldout.h2h)}")
    print(f"gate: {decision.reason}")
    if decision.action == "keep":
        if not sys.stdin.isatty():
            print("not deployed (add --force to deploy anyway)")
            return ExitCode.OK
        if not _confirm("Deploy anyway (override the gate)?"):
            print("not deployed")
            return ExitCode.OK
    rec = W.deploy(ws, source, target, experiment=(exp.path, exp.state))
    if rec is None:
        print(f"identical, nothing deployed ({ws.weights_file(target)} holds these weights)")
        return ExitCode.OK
    print(f"deployed {rec.source} -> {rec.path}")
    print(f"previous file kept in {rec.backup}" if rec.backup else "(no previous file)")
    for d in rec.deltas:
        if d.delta != 0:
            pct = f" ({d.pct:+.1f}%)" if d.pct is not None else ""
            print(f"  {d.name:<26} {d.old:>10.6g} -> {d.new:<10.6g}{pct}")
    if target == "generalist":
        from core.ladder import update_after_deploy

        print(update_after_deploy(ws))
    return ExitCode.OK


def _cmd_ladder(args: argparse.Namespace) -> int:
    import json

    from core import ladder as L

    ws = _workspace(args)
    settings = L.settings_of(ws)
    overrides = {
        k: v
        for k, v in (("greedy_games", args.greedy_games), ("mcts_games", args.mcts_games))
        if v is not None
    }
    if overrides:
        settings = settings.model_copy(update=overrides)
    if not args.no_play:
        from core.binaries import ensure_arena

        res = L.update(ws, settings, ensure_arena(ws))
        if not args.sub_json:
            print(f"played {res.played} new pairings, {res.games:,} games in {res.seconds:.1f} s")
    lad = L.current(ws, settings)
    if args.sub_json:
        print(json.dumps(lad.model_dump(mode="json"), indent=2))
        return ExitCode.OK
    for line in L.render(lad):
        print(line)
    return ExitCode.OK


def _cmd_app(args: argparse.Namespace) -> int:
    if args.workspace:
        os.chdir(args.workspace)
    from tui.app import run_app

    return run_app()


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command and args.run:
        parser.error("--run cannot be combined with a command")
    if not args.run:
        for attr, flag in _RUN_ONLY:
            if getattr(args, attr) is not None:
                parser.error(f"{flag} needs --run")
        for attr, flag in (
            ("sequential", "--sequential"),
            ("no_deploy", "--no-deploy"),
            ("force_deploy", "--force-deploy"),
        ):
            if getattr(args, attr):
                parser.error(f"{flag} needs --run")
        if args.backend != "local":
            parser.error("--backend needs --run")
        if args.json and args.command not in ("experiments", "ladder"):
            parser.error("--json needs --run, the experiments or the ladder command")
    if args.run == "validate-only" and args.single is not None:
        parser.error("--single trains one config: it conflicts with --run validate-only")
    if args.run:
        return _cmd_run(args)
    if args.command == "experiments":
        return _cmd_experiments(args)
    if args.command == "weights":
        return _cmd_weights(args)
    if args.command == "ladder":
        return _cmd_ladder(args)
    if args.command in ("attach", "runs"):
        return _cmd_modal_runs(args)
    return _cmd_app(args)


def _cmd_modal_runs(args: argparse.Namespace) -> int:
    """`attach` and `runs --backend modal`: small front ends of remote.attach."""
    from tui.backends import modal_attach

    attach = modal_attach()
    if args.command == "runs":
        return attach.runs_main()
    return attach.attach_main(
        _workspace(args), args.run_id, cancel=args.cancel, deploy=not args.attach_no_deploy
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "sub_json"):
        args.sub_json = False
    if args.command == "ladder" and args.json:
        args.sub_json = True
    from core.errors import EwtuiError

    try:
        return _dispatch(args, parser)
    except EwtuiError as err:
        print(f"ewtui: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("ewtui: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except OSError as err:
        # A file or directory the command needs and cannot use (read-only, a file where a
        # directory belongs, a name too long): one line naming it, as for a bad file.
        where = f"{err.filename}: " if err.filename else ""
        print(f"ewtui: error: {where[:200]}{err.strerror or err}", file=sys.stderr)
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
