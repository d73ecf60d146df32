"""The strength ladder: ratings of every bot and every deployed weights version, fitted from
stored ``arena`` games.

Entries: ``random``, ``greedy`` and ``mcts:N`` with the deployed generalist weights, and every
generalist version kept in ``data/weights/.history/`` (as greedy). An entry is identified by its
bot and the sha256 of its weights, so the deployed file and its later backup are one entry and
its games are never played twice.

Games: one record per pairing in ``experiments/ladder/`` (both specs and content hashes, the
seed, the games and the results of the real ``arena --json``). An update plays only the pairings
no record holds, so it costs games only for new entries. MCTS entries meet random, greedy and
each other, not every history version: that keeps an update after a deploy to a few seconds of
MCTS games while every entry stays connected to the anchor.

Ratings: a Bradley-Terry model fitted by maximum likelihood (a draw counts half a win to each
side; each pairing also holds one virtual draw so that a bot winning every game keeps a finite
rating), on the Elo scale with Random fixed at 1000, and 95% intervals from the Fisher
information. The original project's ladder is shown beside: Random 1000, Greedy 1300, MCTS-50
1450, MCTS-100 1500."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from core.config import LadderSettings, load_project_config
from core.errors import ConfigError, EwtuiError, JobFailed
from core.fsutil import atomic_write_text
from core.paths import Workspace
from core.weights import history

ANCHOR_ELO = 1000.0
"""The rating of ``random``, by definition."""
ORIGINAL_LADDER: dict[str, float] = {
    "random": 1000.0,
    "greedy": 1300.0,
    "mcts:50": 1450.0,
    "mcts:100": 1500.0,
}
"""The original project's ratings, shown beside the fitted ones."""
ELO_PER_NAT = 400.0 / math.log(10.0)
_Z95 = 1.959963984540054
VIRTUAL_DRAWS = 1.0
"""Virtual drawn games added to each pairing (the prior that keeps ratings finite)."""

Kind = Literal["random", "greedy", "mcts"]


class Entry(BaseModel):
    id: str
    kind: Kind
    sims: int | None = None
    sha256: str | None = None
    path: str | None = None
    label: str
    deployed: bool = False
    """Plays with the weights deployed now (random counts as such)."""

    @property
    def bot(self) -> str:
        """The bot's name without its weights: ``random``, ``greedy``, ``mcts:50``."""
        return f"mcts:{self.sims}" if self.kind == "mcts" else self.kind

    @property
    def original(self) -> float | None:
        """The original project's rating of this bot, for the entries with the deployed
        weights (and random)."""
        return ORIGINAL_LADDER.get(self.bot) if self.deployed else None

    def spec(self) -> str:
        """The ``arena`` bot spec; greedy names its weights file, mcts takes ``--weights``."""
        if self.kind == "greedy":
            return f"greedy:{self.path}"
        return self.bot


class Side(BaseModel):
    id: str
    spec: str
    sha256: str | None
    label: str


class Pairing(BaseModel):
    """One stored pairing: ``arena --bot-a A --bot-b B`` and its results."""

    version: int = 1
    a: Side
    b: Side
    seed: int
    games: int
    a_wins: int
    b_wins: int
    draws: int
    played: float
    time_s: float | None = None


class Rating(BaseModel):
    entry: Entry
    elo: float | None
    ci95: tuple[float, float] | None
    games: int
    original: float | None


class Ladder(BaseModel):
    ratings: list[Rating]
    pairings: int
    games: int


class UpdateResult(BaseModel):
    played: int
    games: int
    seconds: float


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries(ws: Workspace, settings: LadderSettings) -> list[Entry]:
    """The ladder's entries, strongest-looking last: random, the deployed generalist as greedy
    and mcts, then every history version not equal to the deployed file."""
    current = ws.weights_file("generalist")
    if not current.is_file():
        raise ConfigError(f"{current}: no deployed generalist to rate")
    sha = _sha(current)
    out = [
        Entry(id="random", kind="random", label="random", deployed=True),
        Entry(
            id=f"greedy@{sha[:12]}",
            kind="greedy",
            sha256=sha,
            path=str(current),
            label="greedy (deployed)",
            deployed=True,
        ),
    ]
    for n in sorted(set(settings.mcts_sims)):
        out.append(
            Entry(
                id=f"mcts:{n}@{sha[:12]}",
                kind="mcts",
                sims=n,
                sha256=sha,
                path=str(current),
                label=f"mcts:{n} (deployed)",
                deployed=True,
            )
        )
    seen = {sha}
    # Oldest first, so a version keeps its place as the history grows.
    for h in reversed(history(ws)):
        if h.target != "generalist":
            continue
        hsha = _sha(Path(h.path))
        if hsha in seen:
            continue
        seen.add(hsha)
        out.append(
            Entry(
                id=f"greedy@{hsha[:12]}",
                kind="greedy",
                sha256=hsha,
                path=h.path,
                label=f"generalist until {_when(h.stamp)}",
            )
        )
    return out


def _when(stamp: str) -> str:
    """``20261129_115241`` (the time a deploy replaced the file) as ``2026-11-29 11:52:41``."""
    d, _, t = stamp.partition("_")
    return f"{d[:4]}-{d[4:6]}-{d[6:8]} {t[:2]}:{t[2:4]}:{t[4:6]}" if len(d) == 8 else stamp


def pairings(items: list[Entry]) -> list[tuple[Entry, Entry]]:
    """Every pairing the ladder plays: all pairs, except MCTS entries against history
    versions (connected through greedy, and expensive)."""
    out = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            old = [e for e in (a, b) if e.kind == "greedy" and not e.deployed]
            if old and "mcts" in (a.kind, b.kind):
                continue
            out.append((a, b))
    return out


def pair_key(a: Entry, b: Entry) -> str:
    ids = "|".join(sorted((a.id, b.id)))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def ladder_dir(ws: Workspace) -> Path:
    return ws.experiments_dir / "ladder"


def load_pairings(ws: Workspace) -> dict[frozenset[str], Pairing]:
    """Stored pairings by the ids of their two entries; unreadable files are skipped."""
    out: dict[frozenset[str], Pairing] = {}
    d = ladder_dir(ws)
    if not d.is_dir():
        return out
    for p in sorted(d.glob("*.json")):
        try:
            rec = Pairing.model_validate_json(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # ValidationError and UnicodeDecodeError among them
            continue
        out[frozenset((rec.a.id, rec.b.id))] = rec
    return out


Play = Callable[[list[str]], dict[str, Any]]
"""Runs an ``arena`` command line and returns its JSON report."""


def run_arena(argv: list[str]) -> dict[str, Any]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise JobFailed(f"arena: {last}")
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as exc:
        raise JobFailed(f"arena: unreadable output: {exc}") from None
    if not isinstance(report, dict):
        raise JobFailed("arena: unreadable output: not an object")
    return report


def arena_argv(
    arena: Path, ws: Workspace, a: Entry, b: Entry, games: int, seed: int, threads: int | None
) -> list[str]:
    argv = [str(arena), "--bot-a", a.spec(), "--bot-b", b.spec(), "--games", str(games)]
    argv += ["--seed", str(seed), "--data", str(ws.data_dir), "--json"]
    weights = next((e.path for e in (a, b) if e.kind == "mcts"), None)
    if weights:
        argv += ["--weights", weights]
    if threads:
        argv += ["--threads", str(threads)]
    return argv


def update(
    ws: Workspace,
    settings: LadderSettings,
    arena: Path,
    *,
    play: Play = run_arena,
    threads: int | None = None,
) -> UpdateResult:
    """Play every pairing of the current entries that no record holds, and store each."""
    started = time.monotonic()
    items = entries(ws, settings)
    stored = load_pairings(ws)
    played = games_played = 0
    for a, b in pairings(items):
        if frozenset((a.id, b.id)) in stored:
            continue
        games = settings.mcts_games if "mcts" in (a.kind, b.kind) else settings.greedy_games
        key = pair_key(a, b)
        seed = settings.seed + int(key[:8], 16)
        report = play(arena_argv(arena, ws, a, b, games, seed, threads))
        try:
            rec = Pairing(
                a=Side(id=a.id, spec=a.spec(), sha256=a.sha256, label=a.label),
                b=Side(id=b.id, spec=b.spec(), sha256=b.sha256, label=b.label),
                seed=seed,
                games=int(report["games"]),
                a_wins=int(report["a_wins"]),
                b_wins=int(report["b_wins"]),
                draws=int(report["draws"]),
                played=time.time(),
                time_s=report.get("time_s"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise JobFailed(f"arena {a.spec()} vs {b.spec()}: unreadable report: {exc}") from None
        atomic_write_text(ladder_dir(ws) / f"{key}.json", rec.model_dump_json(indent=2))
        played += 1
        games_played += rec.games
    return UpdateResult(played=played, games=games_played, seconds=time.monotonic() - started)


# --- the fit -------------------------------------------------------------------------------------


def _invert(m: list[list[float]]) -> list[list[float]] | None:
    """Gauss-Jordan inverse of a small symmetric matrix; None when singular."""
    n = len(m)
    a = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[piv][col]) < 1e-12:
            return None
        a[col], a[piv] = a[piv], a[col]
        p = a[col][col]
        a[col] = [x / p for x in a[col]]
        for r in range(n):
            if r != col and a[r][col] != 0.0:
                f = a[r][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [row[n:] for row in a]


def fit(items: list[Entry], records: list[Pairing]) -> Ladder:
    """Bradley-Terry ratings of ``items`` from the games of ``records`` between them."""
    idx = {e.id: i for i, e in enumerate(items)}
    n = len(items)
    games = [[0.0] * n for _ in range(n)]
    score = [0.0] * n
    counted = [0] * n
    used = 0
    total_games = 0
    for r in records:
        i, j = idx.get(r.a.id), idx.get(r.b.id)
        if i is None or j is None or i == j or r.games <= 0:
            continue
        used += 1
        total_games += r.games
        g = r.games + VIRTUAL_DRAWS
        games[i][j] += g
        games[j][i] += g
        score[i] += r.a_wins + 0.5 * r.draws + 0.5 * VIRTUAL_DRAWS
        score[j] += r.b_wins + 0.5 * r.draws + 0.5 * VIRTUAL_DRAWS
        counted[i] += r.games
        counted[j] += r.games
    anchor = idx.get("random")
    # Entries connected to the anchor through played games; the others have no rating.
    reach = set()
    if anchor is not None:
        todo = [anchor]
        while todo:
            k = todo.pop()
            if k in reach:
                continue
            reach.add(k)
            todo += [j for j in range(n) if games[k][j] > 0 and j not in reach]
    live = sorted(reach)
    strength = dict.fromkeys(live, 1.0)
    # Minorization-maximization (Hunter 2004): each step raises the likelihood.
    for _ in range(20000):
        delta = 0.0
        for i in live:
            den = sum(games[i][j] / (strength[i] + strength[j]) for j in live if games[i][j])
            new = score[i] / den if den > 0 else strength[i]
            delta = max(delta, abs(math.log(new / strength[i])))
            strength[i] = new
        assert anchor is not None
        ref = strength[anchor]
        for i in live:
            strength[i] /= ref
        if delta < 1e-10:
            break
    ratings_ci: dict[int, tuple[float | None, tuple[float, float] | None]] = {}
    if live:
        free = [i for i in live if i != anchor]
        info = [[0.0] * len(free) for _ in free]
        for a_, i in enumerate(free):
            for b_, j in enumerate(free):
                if i == j:
                    info[a_][b_] = sum(
                        games[i][k] * _q(strength, i, k) * (1 - _q(strength, i, k))
                        for k in live
                        if games[i][k]
                    )
                elif games[i][j]:
                    q = _q(strength, i, j)
                    info[a_][b_] = -games[i][j] * q * (1 - q)
        cov = _invert(info) if free else []
        for a_, i in enumerate(free):
            elo = ANCHOR_ELO + ELO_PER_NAT * math.log(strength[i])
            ci = None
            if cov is not None and cov[a_][a_] > 0:
                half = _Z95 * ELO_PER_NAT * math.sqrt(cov[a_][a_])
                ci = (elo - half, elo + half)
            ratings_ci[i] = (elo, ci)
        if anchor is not None:
            ratings_ci[anchor] = (ANCHOR_ELO, (ANCHOR_ELO, ANCHOR_ELO))
    ratings = []
    for i, e in enumerate(items):
        rated, ci = ratings_ci.get(i, (None, None))
        ratings.append(Rating(entry=e, elo=rated, ci95=ci, games=counted[i], original=e.original))
    ratings.sort(key=lambda r: -1e9 if r.elo is None else r.elo, reverse=True)
    return Ladder(ratings=ratings, pairings=used, games=total_games)


def _q(strength: dict[int, float], i: int, j: int) -> float:
    return strength[i] / (strength[i] + strength[j])


def current(ws: Workspace, settings: LadderSettings) -> Ladder:
    """The ladder of the current entries from the stored games (nothing is played)."""
    items = entries(ws, settings)
    return fit(items, list(load_pairings(ws).values()))


def settings_of(ws: Workspace) -> LadderSettings:
    return load_project_config(ws.configs_file).ladder


def update_after_deploy(ws: Workspace) -> str:
    """After a deploy of a generalist: play the new pairings and return one line for the run
    record with the deployed file's rating."""
    from core.binaries import ensure_arena

    settings = settings_of(ws)
    if not settings.after_deploy:
        return "ladder not updated (ladder.after_deploy = false)"
    try:
        res = update(ws, settings, ensure_arena(ws))
    except EwtuiError as exc:
        return f"ladder not updated: {exc}"
    lad = current(ws, settings)
    mine = next((r for r in lad.ratings if r.entry.kind == "greedy" and r.entry.deployed), None)
    rating = f"; deployed generalist {fmt_rating(mine)}" if mine else ""
    return f"ladder: {res.played} new pairings, {res.games:,} games in {res.seconds:.0f} s{rating}"


def fmt_rating(r: Rating) -> str:
    if r.elo is None:
        return "unrated (no games)"
    ci = f" [{r.ci95[0]:.0f}, {r.ci95[1]:.0f}]" if r.ci95 else ""
    return f"{r.elo:.0f}{ci}"


def render(lad: Ladder) -> list[str]:
    """The ladder as text lines: entry, rating with its interval, the original ladder's value."""
    out = [f"{'entry':<34} {'Elo':>6} {'95% interval':>14} {'original':>9} {'games':>7}"]
    for r in lad.ratings:
        elo = f"{r.elo:.0f}" if r.elo is not None else "-"
        ci = f"[{r.ci95[0]:.0f}, {r.ci95[1]:.0f}]" if r.ci95 and r.entry.id != "random" else ""
        if r.entry.id == "random":
            ci = "anchor"
        orig = f"{r.original:.0f}" if r.original is not None else ""
        out.append(f"{r.entry.label:<34} {elo:>6} {ci:>14} {orig:>9} {r.games:>7,}")
    out.append(
        f"{lad.pairings} pairings, {lad.games:,} games; Bradley-Terry on the Elo scale, "
        "random = 1000; original: the original project's ladder"
    )
    return out
