"""The helpers that exist once in attnflow.analysis: line fits, level crossings, angle matching,
rank correlation and the BLAS thread limit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from attnflow import analysis as an


# -- line_fit ------------------------------------------------------------------------------------
def test_line_fit_recovers_an_exact_line():
    x = np.linspace(-2.0, 5.0, 9)
    fit = an.line_fit(x, 3.0 * x - 2.0)
    assert fit.slope == pytest.approx(3.0, abs=5e-15)                     # measured 4e-16
    assert fit.intercept == pytest.approx(-2.0, abs=5e-15)                # measured 9e-16
    assert fit.r2 == pytest.approx(1.0, abs=1e-15) and fit.stderr < 1e-15 and fit.n_points == 9
    flat = an.line_fit(x, np.full(9, 0.7))                                  # a constant is fitted exactly
    assert flat.slope == 0.0 and flat.r2 == 1.0


def test_line_fit_matches_the_normal_equations_on_noisy_data():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 4, 30))
    y = 0.5 * x + 1.0 + 0.1 * rng.standard_normal(30)
    fit = an.line_fit(x, y)
    A = np.stack([x, np.ones_like(x)], axis=1)
    (slope, icpt), *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ np.array([slope, icpt])
    se = math.sqrt(res @ res / (x.size - 2) / np.sum((x - x.mean()) ** 2))
    r2 = 1 - res @ res / np.sum((y - y.mean()) ** 2)
    # measured: 0, 4e-16, 1.3e-15, 1e-16 (relative)
    assert fit.slope == pytest.approx(slope, rel=1e-14) and fit.intercept == pytest.approx(icpt, rel=1e-14)
    assert fit.stderr == pytest.approx(se, rel=1e-14) and fit.r2 == pytest.approx(r2, rel=1e-14)


def test_line_fit_rejects_degenerate_input():
    with pytest.raises(ValueError, match="all values equal"):
        an.line_fit([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="same length"):
        an.line_fit([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        an.line_fit([1.0, 2.0, 3.0], [1.0, np.nan, 2.0])


# -- level_crossing --------------------------------------------------------------------------------
def test_level_crossing_is_exact_for_an_exponential_in_log_scale():
    # y = e^{-2 t} sampled coarsely: log-linear interpolation is exact, t* = ln(1/level)/2
    t = np.linspace(0.0, 5.0, 11)
    y = np.exp(-2.0 * t)
    assert an.level_crossing(t, y, 1e-3, log=True) == pytest.approx(0.5 * math.log(1e3), rel=2e-15)
    up = an.level_crossing(t, 1e-6 * np.exp(3.0 * t), 0.3, "up", log=True)
    assert up == pytest.approx(math.log(0.3e6) / 3.0, rel=2e-15)          # measured 2e-16
    # linear interpolation is exact for a straight line, and only approximate for the exponential
    assert an.level_crossing(t, 1.0 - 0.3 * t, 0.25) == pytest.approx(2.5, rel=1e-14)
    assert abs(an.level_crossing(t, y, 1e-3) - 0.5 * math.log(1e3)) > 1e-3


def test_level_crossing_start_first_sample_and_no_crossing():
    t = np.arange(6.0)
    y = np.array([1.0, 0.2, 0.9, 0.8, 0.3, 0.1])
    assert an.level_crossing(t, y, 0.5) == pytest.approx(0.5 / 0.8)        # first crossing
    assert an.level_crossing(t, y, 0.5, start=2) == pytest.approx(3.6)      # the later one
    assert an.level_crossing(t, y, 0.5, start=1) == 1.0                    # already below at t[start]
    assert an.level_crossing(t, y, 2.0, "up") != an.level_crossing(t, y, 2.0, "up")   # never: NaN
    assert an.level_crossing(t, y, 1.0, "up") == 0.0
    with pytest.raises(ValueError, match="direction"):
        an.level_crossing(t, y, 0.5, "sideways")
    with pytest.raises(ValueError, match="level"):
        an.level_crossing(t, y, 0.0, log=True)


# -- angle_mismatch -------------------------------------------------------------------------------
def test_angle_mismatch_of_a_rotated_set_is_the_rotation():
    base = 2 * np.pi * np.arange(5) / 5 + 0.3
    for rot in (0.07, -0.2, 0.5):
        moved = np.mod(base + rot, 2 * np.pi)[::-1]                          # any order, wrapped
        assert an.angle_mismatch(base, moved) == pytest.approx(abs(rot), abs=2e-15)   # measured 3e-16
    # across 0 = 2 pi, and from points on S^1
    pts = np.stack([np.cos([6.25, 3.0]), np.sin([6.25, 3.0])], axis=1)
    assert an.angle_mismatch([0.02, 3.1], pts) == pytest.approx(0.1, abs=1e-14)
    # directed: a measured angle far from every prediction does not count
    assert an.angle_mismatch([1.0], [1.0, 4.0]) == 0.0
    assert an.angle_mismatch([1.0, 4.0], [1.0]) == pytest.approx(3.0)
    assert math.isnan(an.angle_mismatch([], [1.0]))


# -- rank_correlation -----------------------------------------------------------------------------
def test_rank_correlation():
    x = np.array([0.5, 1.0, 2.0, 4.0, 9.0])
    assert an.rank_correlation(x, np.log(x)) == pytest.approx(1.0, abs=1e-15)   # any increasing map
    assert an.rank_correlation(x, -(x**3)) == pytest.approx(-1.0, abs=1e-15)
    # ties take average ranks: ranks of y = (1, 2.5, 2.5, 4, 5), Pearson with (1..5) = 0.9746
    y = np.array([0.1, 0.3, 0.3, 0.7, 0.9])
    ry = np.array([1, 2.5, 2.5, 4, 5])
    assert an.rank_correlation(x, y) == pytest.approx(np.corrcoef(np.arange(5), ry)[0, 1], rel=1e-14)
    assert math.isnan(an.rank_correlation(x, np.full(5, 0.5)))             # constant: undefined
    with pytest.raises(ValueError, match="same length"):
        an.rank_correlation(x, y[:3])


# -- blas_threads ---------------------------------------------------------------------------------
def _blas_threads() -> list[int]:
    np.ones((64, 64)) @ np.ones((64, 64))                                  # BLAS is loaded
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_threads_limits_every_blas_library_and_restores():
    before = _blas_threads()
    assert before                                                          # numpy's BLAS is seen
    with an.blas_threads(1):
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before
    if max(before) >= 2:                                                   # a limit above 1 is kept too
        with an.blas_threads(2):
            assert max(_blas_threads()) == 2
    with pytest.raises(ValueError, match="limit=0"):
        an.blas_threads(0)
