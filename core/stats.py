"""The statistics of validation reports, computed exactly as ``validate`` does (docs/validate.md):
IEEE-754 doubles, operations in the documented order, so recomputed reports match bit for bit."""

from __future__ import annotations

import math

Z95 = 1.959964


def score(wins: int, draws: int, games: int) -> float:
    """Wins plus half the draws, over games (0 with no games)."""
    if games == 0:
        return 0.0
    return (float(wins) + 0.5 * float(draws)) / float(games)


def wilson(p: float, n: int, z: float = Z95) -> list[float]:
    """The Wilson 95% interval of a proportion ``p`` observed over ``n`` games."""
    if n == 0:
        return [0.0, 1.0]
    nf = float(n)
    z2 = z * z
    denom = 1.0 + z2 / nf
    centre = (p + z2 / (2.0 * nf)) / denom
    half = z * math.sqrt(p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]


def sign_test_p(wins: int, decisive: int) -> float:
    """Two-sided exact binomial test of ``wins`` among ``decisive`` games against 1/2, with
    exact integer arithmetic (the division rounds once, correctly)."""
    m = decisive
    if m == 0:
        return 1.0
    k = min(wins, m - wins)
    term = 1
    total = 1
    for i in range(1, k + 1):
        term = term * (m - i + 1) // i
        total += term
    return min(1.0, (2 * total) / (1 << m))
