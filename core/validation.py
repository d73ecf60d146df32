"""Validation reports (``results.json`` of ``validate``, docs/validate.md): loading, merging
partial runs into the run over their union (every summary recomputed from the matchups), and
rendering ``summary.txt``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigError
from core.factions import FACTIONS, PAIRS
from core.fsutil import atomic_write_text
from core.stats import score, sign_test_p, wilson

DEFAULT_THRESHOLDS: dict[str, Any] = {
    "z": 1.959964,
    "faction_warning": 0.55,
    "faction_imbalanced": 0.60,
    "deck_warning": 0.60,
    "deck_imbalanced": 0.65,
    "matchup_warning": 0.65,
    "matchup_imbalanced": 0.75,
    "first_seat_warning": 0.55,
    "first_seat_imbalanced": 0.60,
    "flag_z": 3.0,
    "require_significance": True,
}


class Matchup(BaseModel):
    """One matchup; fields beyond these are kept as they came."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    deck_a: str
    deck_b: str
    faction_a: str
    faction_b: str
    games: int
    a_wins: int
    b_wins: int
    draws: int
    a_wins_as_first: int
    b_wins_as_first: int
    a_games_as_first: int = 0
    b_games_as_first: int = 0
    first_seat_wins: int | None = None
    turns: int = 0
    avg_turns: float = 0.0
    a_win_rate: float = 0.0
    a_win_rate_ci95: list[float] = [0.0, 1.0]
    time_s: float = 0.0

    @property
    def pair(self) -> str:
        return f"{self.faction_a}-{self.faction_b}"


class ValidationReport(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    version: int = 1
    config: dict[str, Any]
    matchups: list[Matchup]
    decks: list[dict[str, Any]] = []
    factions: list[dict[str, Any]] = []
    faction_pairs: list[dict[str, Any]] = []
    first_seat: dict[str, Any] = {}
    verdict: str = "balanced"
    thresholds: dict[str, Any] = DEFAULT_THRESHOLDS
    warnings: list[dict[str, Any]] = []
    extremes: dict[str, Any] = {}
    games: int = 0
    time_s: float = 0.0

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"

    def faction_win_rates(self) -> dict[str, float]:
        return {f["faction"]: f["win_rate"] for f in self.factions}


def load_report(path: Path) -> ValidationReport:
    try:
        return parse_report(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def parse_report(text: str, origin: str) -> ValidationReport:
    try:
        return ValidationReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{origin}: field `{loc}`: {first['msg']}") from None


# --- recomputation ---------------------------------------------------------------------------


def _faction_rank(f: str) -> int:
    return FACTIONS.index(f) if f in FACTIONS else len(FACTIONS)


def _pair_rank(a: str, b: str) -> int:
    try:
        return PAIRS.index((a, b))
    except ValueError:
        return len(PAIRS)


def canonical_matchup_key(m: Matchup) -> tuple[int, str, str]:
    # Python compares str by code point, which is the byte order of their UTF-8 encoding.
    return (_pair_rank(m.faction_a, m.faction_b), m.deck_a, m.deck_b)


def _flag(rate: float, games: int, kind: str, th: dict[str, Any]) -> tuple[str, float] | None:
    """The level a rate is flagged at: outside the level's band and, with
    ``require_significance``, with its ``flag_z`` Wilson interval excluding 0.5."""
    if th.get("require_significance", True):
        lo, hi = wilson(rate, games, float(th.get("flag_z", th.get("z", 1.959964))))
        if not (lo > 0.5 or hi < 0.5):
            return None
    for level in ("imbalanced", "warning"):
        t = float(th[f"{kind}_{level}"])
        if rate > t or rate < 1.0 - t:
            return level, t
    return None


def _warning(
    kind: str, subject: str, rate: float, ci: list[float], level: str, t: float
) -> dict[str, Any]:
    label = "first seat" if kind == "first_seat" else kind
    lo, hi = ci
    message = (
        f"{label} {subject}: {100 * rate:.1f}% (95% CI {100 * lo:.1f}-{100 * hi:.1f}%) "
        f"outside {100 * (1 - t):.0f}-{100 * t:.0f}%"
    )
    return {
        "level": level,
        "kind": kind,
        "subject": subject,
        "win_rate": rate,
        "ci95": ci,
        "threshold": t,
        "message": message,
    }


def _side(m: Matchup, deck_is_a: bool) -> dict[str, int]:
    extra = m.model_extra or {}
    if deck_is_a:
        return {
            "wins": m.a_wins,
            "losses": m.b_wins,
            "games_as_first": m.a_games_as_first,
            "wins_as_first": m.a_wins_as_first,
            "draws_as_first": int(extra.get("a_draws_as_first", 0)),
        }
    return {
        "wins": m.b_wins,
        "losses": m.a_wins,
        "games_as_first": m.b_games_as_first,
        "wins_as_first": m.b_wins_as_first,
        "draws_as_first": int(extra.get("b_draws_as_first", 0)),
    }


def recompute(
    config: dict[str, Any],
    matchups: list[Matchup],
    thresholds: dict[str, Any],
    time_s: float,
    version: int = 1,
) -> ValidationReport:
    """The whole report from its matchups, with the formulas of docs/validate.md."""
    z = float(thresholds.get("z", 1.959964))
    ms = sorted(matchups, key=canonical_matchup_key)

    deck_faction: dict[str, str] = {}
    for m in ms:
        deck_faction[m.deck_a] = m.faction_a
        deck_faction[m.deck_b] = m.faction_b
    deck_order = sorted(deck_faction, key=lambda d: (_faction_rank(deck_faction[d]), d))
    deck_rank = {d: i for i, d in enumerate(deck_order)}

    # decks
    sums: dict[str, dict[str, int]] = {
        d: dict.fromkeys(
            (
                "games",
                "wins",
                "losses",
                "draws",
                "games_as_first",
                "wins_as_first",
                "draws_as_first",
                "turns",
            ),
            0,
        )
        for d in deck_order
    }
    opp: dict[str, list[tuple[str, float]]] = {d: [] for d in deck_order}
    for m in ms:
        for deck, other, is_a in ((m.deck_a, m.deck_b, True), (m.deck_b, m.deck_a, False)):
            s = sums[deck]
            side = _side(m, is_a)
            s["games"] += m.games
            s["draws"] += m.draws
            s["turns"] += m.turns
            for k, v in side.items():
                s[k] += v
            opp[deck].append((other, score(side["wins"], m.draws, m.games)))
    decks: list[dict[str, Any]] = []
    for d in deck_order:
        s = sums[d]
        wr = score(s["wins"], s["draws"], s["games"])
        ranked = sorted(opp[d], key=lambda o: deck_rank[o[0]])
        best = ranked[0]
        worst = ranked[0]
        for o in ranked[1:]:
            if o[1] > best[1]:
                best = o
            if o[1] < worst[1]:
                worst = o
        decks.append(
            {
                "deck": d,
                "faction": deck_faction[d],
                **s,
                "win_rate": wr,
                "win_rate_ci95": wilson(wr, s["games"], z),
                "win_rate_as_first": score(
                    s["wins_as_first"], s["draws_as_first"], s["games_as_first"]
                ),
                "avg_turns": (s["turns"] / s["games"]) if s["games"] else 0.0,
                "best_matchup": {
                    "opponent": best[0],
                    "faction": deck_faction[best[0]],
                    "win_rate": best[1],
                },
                "worst_matchup": {
                    "opponent": worst[0],
                    "faction": deck_faction[worst[0]],
                    "win_rate": worst[1],
                },
            }
        )

    # factions
    fsum: dict[str, dict[str, int]] = {}
    for m in ms:
        for f, w, lo in ((m.faction_a, m.a_wins, m.b_wins), (m.faction_b, m.b_wins, m.a_wins)):
            s = fsum.setdefault(f, {"games": 0, "wins": 0, "losses": 0, "draws": 0})
            s["games"] += m.games
            s["wins"] += w
            s["losses"] += lo
            s["draws"] += m.draws
    factions: list[dict[str, Any]] = []
    for f in sorted(fsum, key=_faction_rank):
        s = fsum[f]
        wr = score(s["wins"], s["draws"], s["games"])
        ci = wilson(wr, s["games"], z)
        factions.append({"faction": f, **s, "win_rate": wr, "win_rate_ci95": ci})

    # faction pairs
    psum: dict[tuple[str, str], dict[str, int]] = {}
    for m in ms:
        s = psum.setdefault(
            (m.faction_a, m.faction_b), {"games": 0, "a_wins": 0, "b_wins": 0, "draws": 0}
        )
        s["games"] += m.games
        s["a_wins"] += m.a_wins
        s["b_wins"] += m.b_wins
        s["draws"] += m.draws
    pairs: list[dict[str, Any]] = []
    for (fa, fb), s in sorted(psum.items(), key=lambda kv: _pair_rank(*kv[0])):
        wr = score(s["a_wins"], s["draws"], s["games"])
        pairs.append(
            {
                "faction_a": fa,
                "faction_b": fb,
                **s,
                "a_win_rate": wr,
                "a_win_rate_ci95": wilson(wr, s["games"], z),
            }
        )

    # first seat
    fs_games = sum(m.games for m in ms)
    fs_wins = sum(_first_seat_wins(m) for m in ms)
    fs_losses = sum(m.a_wins + m.b_wins - _first_seat_wins(m) for m in ms)
    fs_draws = sum(m.draws for m in ms)
    fs_rate = score(fs_wins, fs_draws, fs_games)
    fs_ci = wilson(fs_rate, fs_games, z)
    first_seat: dict[str, Any] = {
        "games": fs_games,
        "wins": fs_wins,
        "losses": fs_losses,
        "draws": fs_draws,
        "win_rate": fs_rate,
        "ci95": fs_ci,
        "p_value": sign_test_p(fs_wins, fs_wins + fs_losses),
        "test": "exact_binomial_two_sided_decisive_games",
    }

    # warnings and verdict
    warnings: list[dict[str, Any]] = []
    rated: list[tuple[str, str, float, int, list[float]]] = []
    if fs_games:
        rated.append(("first_seat", "first seat", fs_rate, fs_games, fs_ci))
    rated += [
        ("faction", f["faction"], f["win_rate"], f["games"], f["win_rate_ci95"]) for f in factions
    ]
    rated += [
        ("deck", d["deck"], d["win_rate"], d["games"], d["win_rate_ci95"])
        for d in sorted(decks, key=lambda d: -abs(d["win_rate"] - 0.5))
    ]
    for kind, subject, rate, games, ci in rated:
        flag = _flag(rate, games, kind, thresholds)
        if flag:
            warnings.append(_warning(kind, subject, rate, ci, *flag))
    for m in sorted(ms, key=lambda m: -abs(m.a_win_rate - 0.5)):
        flag = _flag(m.a_win_rate, m.games, "matchup", thresholds)
        if flag:
            subject = f"{m.deck_a} vs {m.deck_b}"
            warnings.append(_warning("matchup", subject, m.a_win_rate, m.a_win_rate_ci95, *flag))
    levels = {w["level"] for w in warnings}
    verdict = "imbalanced" if "imbalanced" in levels else "warning" if levels else "balanced"

    extremes: dict[str, Any] = {
        "weakest_deck": None,
        "strongest_deck": None,
        "most_lopsided_matchup": None,
    }
    if decks:
        weakest = strongest = decks[0]
        for row in decks[1:]:
            if row["win_rate"] < weakest["win_rate"]:
                weakest = row
            if row["win_rate"] > strongest["win_rate"]:
                strongest = row
        extremes["weakest_deck"] = weakest["deck"]
        extremes["strongest_deck"] = strongest["deck"]
    if ms:
        lop = ms[0]
        for m in ms[1:]:
            if abs(m.a_win_rate - 0.5) > abs(lop.a_win_rate - 0.5):
                lop = m
        extremes["most_lopsided_matchup"] = [lop.deck_a, lop.deck_b]

    return ValidationReport(
        version=version,
        config=config,
        matchups=ms,
        decks=decks,
        factions=factions,
        faction_pairs=pairs,
        first_seat=first_seat,
        verdict=verdict,
        thresholds=thresholds,
        warnings=warnings,
        extremes=extremes,
        games=fs_games,
        time_s=time_s,
    )


def _first_seat_wins(m: Matchup) -> int:
    if m.first_seat_wins is not None:
        return m.first_seat_wins
    return m.a_wins_as_first + m.b_wins_as_first


def _union_filter(filters: list[str | None]) -> str | None:
    if any(f is None for f in filters):
        return None
    pairs = {tuple(sorted(f.split("-"), key=_faction_rank)) for f in filters if f}
    if pairs == set(PAIRS):
        return None
    if len(filters) == 1:
        return filters[0]
    return ",".join(sorted({f for f in filters if f}))


def merge_reports(reports: list[ValidationReport], *, parallel: bool = True) -> ValidationReport:
    """The report of the union of runs over disjoint matchups with the same config apart from
    ``matchup``: identical to one run over the union, ``time_s`` aside (the maximum for parallel
    parts, the sum otherwise)."""
    if not reports:
        raise ConfigError("merge: no validation reports to merge")

    def base(r: ValidationReport) -> dict[str, Any]:
        return {k: v for k, v in r.config.items() if k != "matchup"}

    first = reports[0]
    seen: set[tuple[str, str]] = set()
    matchups: list[Matchup] = []
    for i, r in enumerate(reports):
        if base(r) != base(first):
            a, b = base(r), base(first)
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            raise ConfigError(f"merge: part {i + 1}: config differs in {', '.join(diff)}")
        if r.thresholds != first.thresholds:
            raise ConfigError(f"merge: part {i + 1}: thresholds differ")
        for m in r.matchups:
            key = (m.deck_a, m.deck_b)
            if key in seen:
                raise ConfigError(f"merge: part {i + 1}: matchup {m.deck_a} vs {m.deck_b} twice")
            seen.add(key)
            matchups.append(m)
    config = {**first.config, "matchup": _union_filter([r.config.get("matchup") for r in reports])}
    times = [r.time_s for r in reports]
    return recompute(
        config,
        matchups,
        first.thresholds,
        max(times) if parallel else sum(times),
        first.version,
    )


# --- summary.txt -----------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _ci(ci: list[float]) -> str:
    return f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def render_summary(report: ValidationReport) -> str:
    """``summary.txt``: the verdict, faction, first-seat and deck tables, one win-rate matrix
    per faction pair, and the warnings."""
    cfg = report.config
    bot = cfg.get("bot", "?")
    bot_desc = f"mcts:{cfg.get('mcts_sims')}" if bot == "mcts" else str(bot)
    out: list[str] = ["Essence Wars balance validation"]
    out.append(
        f"bot {bot_desc} · {cfg.get('games')} games per seat order · seed {cfg.get('seed')} · "
        f"{len(report.matchups)} matchups · {report.games} games · {report.time_s:.1f} s"
    )
    out.append(f"verdict: {report.verdict.upper()}")
    out.append("")
    out.append(f"{'Factions':<24} {'win%':>6}    {'95% CI':<16} {'games':>6}")
    for f in report.factions:
        out.append(
            f"  {f['faction']:<22} {_pct(f['win_rate']):>6}    {_ci(f['win_rate_ci95']):<16} "
            f"{f['games']:>6}"
        )
    fs = report.first_seat
    if fs:
        out.append(
            f"{'First seat':<24} {_pct(fs['win_rate']):>6}    {_ci(fs['ci95']):<16} "
            f"{fs['games']:>6}   p={fs['p_value']:.4g}"
        )
    out.append("")
    width = max((len(d["deck"]) for d in report.decks), default=4)
    out.append(
        f"{'Decks (best first)':<{width + 12}} {'win%':>6}   {'95% CI':<16} "
        f"{'best matchup':<{width + 11}}  worst matchup"
    )
    for d in sorted(report.decks, key=lambda d: -d["win_rate"]):
        b, w = d["best_matchup"], d["worst_matchup"]
        best = f"vs {b['opponent']} {_pct(b['win_rate'])}"
        worst = f"vs {w['opponent']} {_pct(w['win_rate'])}"
        out.append(
            f"  {d['deck']:<{width}} {d['faction']:<9} {_pct(d['win_rate']):>6}   "
            f"{_ci(d['win_rate_ci95']):<16} {best:<{width + 11}}  {worst}"
        )
    for fa, fb in PAIRS:
        ms = [m for m in report.matchups if (m.faction_a, m.faction_b) == (fa, fb)]
        if not ms:
            continue
        rows = list(dict.fromkeys(m.deck_a for m in ms))
        cols = list(dict.fromkeys(m.deck_b for m in ms))
        rate = {(m.deck_a, m.deck_b): m.a_win_rate for m in ms}
        rw = max(len(r) for r in rows) + 2
        cw = max(max(len(c) for c in cols), 6) + 2
        out.append("")
        out.append(f"{fa} vs {fb}: win% of the row deck")
        out.append(" " * (rw + 2) + "".join(f"{c:>{cw}}" for c in cols))
        for r in rows:
            cells = "".join(
                f"{(_pct(rate[(r, c)]) if (r, c) in rate else '-'):>{cw}}" for c in cols
            )
            out.append(f"  {r:<{rw}}{cells}")
    out.append("")
    out.append("Warnings")
    if not report.warnings:
        out.append("  (none)")
    for w in report.warnings:
        out.append(f"  [{w['level']}] {w['message']}")
    return "\n".join(out) + "\n"


def save_report(
    report: ValidationReport, directory: Path, extra_config: dict[str, Any] | None = None
) -> dict[str, Path]:
    """Write ``results.json``, ``summary.txt`` and ``config.toml`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": directory / "results.json",
        "summary_txt": directory / "summary.txt",
        "config": directory / "config.toml",
    }
    atomic_write_text(paths["results"], report.to_json())
    atomic_write_text(paths["summary_txt"], render_summary(report))
    cfg = {k: v for k, v in report.config.items() if v is not None}
    cfg.update({k: v for k, v in (extra_config or {}).items() if v is not None})
    cfg["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    atomic_write_text(paths["config"], tomli_w.dumps(_toml_safe(cfg)))
    return paths


def _toml_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_safe(v) for v in value if v is not None]
    return value
