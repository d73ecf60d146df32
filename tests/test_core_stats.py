import math
from fractions import Fraction

import pytest

from core.stats import score, sign_test_p, wilson


def test_score_counts_half_draws_and_zero_games() -> None:
    assert score(3, 2, 10) == 0.4
    assert score(0, 0, 0) == 0.0


def test_wilson_matches_the_closed_form() -> None:
    lo, hi = wilson(0.5, 100)
    # the textbook Wilson interval for 50/100 at z = 1.959964
    assert lo == pytest.approx(0.40383, abs=1e-5) and hi == pytest.approx(0.59617, abs=1e-5)
    assert wilson(0.0, 0) == [0.0, 1.0]
    lo, hi = wilson(1.0, 5)
    assert hi == 1.0 and 0.5 < lo < 0.6


def test_sign_test_against_exact_fractions() -> None:
    for wins, m in [(0, 0), (5, 10), (0, 10), (3, 10), (60, 100), (520, 1000)]:
        k = min(wins, m - wins)
        exact = min(Fraction(1), 2 * Fraction(sum(math.comb(m, i) for i in range(k + 1)), 2**m))
        assert sign_test_p(wins, m) == float(exact)
    assert sign_test_p(5, 10) == 1.0
    assert sign_test_p(0, 10) == pytest.approx(2 / 1024)
