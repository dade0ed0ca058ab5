"""Quick run of the [C] (Chen, Lin, Polyanskiy, Rigollet) reproduction: outputs, rows, verdicts."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from attnflow.experiments import EXPERIMENTS, run_experiment
from attnflow.experiments.chen2025 import ZonalParticles, pl_lower_bound, pl_ratio

FIGURES = ("rates", "r2", "counterexamples", "pl", "hessian")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("chen2025")
    return out, run_experiment("chen2025", out, quick=True)


def test_registered():
    assert "chen2025" in EXPERIMENTS


def test_writes_report_results_and_figures(quick):
    out, report = quick
    assert report.name == "chen2025" and report.mode == "quick"
    assert (out / "report.md").is_file()
    assert (out / "results.zarr").is_dir()
    for name in FIGURES:
        png = out / f"chen2025_{name}.png"
        assert png.is_file() and 0 < png.stat().st_size < 200_000, png
    assert len(report.figures) == len(FIGURES)
    text = (out / "report.md").read_text()
    assert "| claim | predicted | measured |" in text and "chen2025_rates.png" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == len(report.claims) + 2
    for line in rows:                                   # 7 columns: no stray "|" in any cell
        assert len(re.findall(r"(?<!\\)\|", line)) == 8, line


def test_results_store_holds_the_claims(quick):
    import xarray as xr

    out, report = quick
    ds = xr.open_zarr(out / "results.zarr", consolidated=False)
    rows = json.loads(ds.attrs["claims"])
    assert len(rows) == len(report.claims)
    assert "rates_w2_mf_d2_full" in ds and "r2_A_r2" in ds


def test_every_row_has_prediction_measurement_and_verdict(quick):
    _, report = quick
    assert len(report.claims) >= 30
    for c in report.claims:
        assert c.predicted is not None and c.predicted != "", c.claim
        assert c.measured is not None and c.measured != "", c.claim
        assert c.verdict in ("pass", "fail"), (c.claim, c.verdict)
        assert c.parameters, c.claim


def _rows(report, *words):
    rows = [c for c in report.claims if all(w in c.claim for w in words)]
    assert rows, words
    return rows


def test_deterministic_rows_pass(quick):
    _, report = quick
    for c in (_rows(report, "antipodal atoms are stationary") + _rows(report, "never synchronize")
              + _rows(report, "Hessian") + _rows(report, "proven rate 1/100")):
        assert c.passed, (c.claim, c.predicted, c.measured)
    assert len(_rows(report, "Hessian")) >= 15
    assert len(_rows(report, "proven rate 1/100")) == 4


def test_rates_and_r2_rows(quick):
    _, report = quick
    for c in _rows(report, "antipodal escape") + _rows(report, "near-Dirac") + _rows(report, "finite-N"):
        assert c.passed, (c.claim, c.measured)
    for c in _rows(report, "non-monotone") + _rows(report, "Kuramoto"):
        assert c.passed, (c.claim, c.measured)
    # the notes' expectation e^beta for mean-field data with mass at the antipode is measured to fail
    for c in _rows(report, "THEORY-DETAILS §3.2 expectation"):
        assert c.passed is False and c.measured < 0.95 * c.predicted


def test_zonal_particles_match_the_ring_closed_form():
    from scipy.special import i0, i1

    beta, rng = 0.7, np.random.default_rng(1)
    phj, w = rng.uniform(0, np.pi, 7), rng.dirichlet(np.ones(7))
    solver = ZonalParticles(beta, 3)
    u = solver.velocity(phj, w)
    b = beta * np.sin(phj)[:, None] * np.sin(phj)[None, :]
    cos_i, cos_j = np.cos(phj)[:, None], np.cos(phj)[None, :]
    ref = (w * np.exp(beta * cos_i * cos_j)
           * (cos_i * np.sin(phj)[None, :] * i1(b) - np.sin(phj)[:, None] * cos_j * i0(b))).sum(axis=1)
    np.testing.assert_allclose(u, ref, atol=1e-14)


def test_pl_ratio_two_atoms_and_bound():
    beta, theta = 0.5, 0.6
    x = np.array([[1.0, 0.0], [math.cos(theta), math.sin(theta)]])
    closed = beta * math.exp(2 * beta * math.cos(theta)) * math.sin(theta) ** 2 / (
        math.exp(beta) - math.exp(beta * math.cos(theta)))
    assert pl_ratio(beta, x) == pytest.approx(closed, rel=1e-12)
    assert pl_ratio(beta, x) >= pl_lower_bound(beta, x) >= pl_lower_bound(beta, alpha=theta / 2) > 0
    # near a Dirac the ratio and both bounds tend to 2 e^beta
    y = np.array([[1.0, 0.0], [math.cos(1e-4), math.sin(1e-4)]])
    assert pl_ratio(beta, y) == pytest.approx(2 * math.exp(beta), rel=1e-6)
    assert pl_lower_bound(beta, alpha=1e-5) == pytest.approx(2 * math.exp(beta), rel=1e-6)
