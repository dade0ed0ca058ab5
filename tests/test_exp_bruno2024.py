"""The [B] reproduction (Bruno, Pasqualotto, Agazzi) in quick mode: report, data, figures, verdicts."""

import math

import pytest

from attnflow.experiments import bruno2024, run_experiment

FIGURES = ("kmax_vs_beta.png", "mode_amplitudes.png", "particles_clusters.png", "pde_kymograph.png",
           "t_lin_vs_logN.png", "w1_vs_t.png")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bruno2024")
    return out, run_experiment("bruno2024", out, quick=True)


def test_module_metadata():
    assert "Bruno" in bruno2024.TITLE
    assert "2410.23228" in bruno2024.PAPER


def test_quick_run_writes_the_report_the_data_and_the_figures(quick_run):
    out, report = quick_run
    assert report.name == "bruno2024" and report.mode == "quick"
    assert (out / "report.md").is_file()
    assert (out / "results.zarr").is_dir()
    text = (out / "report.md").read_text()
    assert "| claim | predicted | measured |" in text
    for name in FIGURES:
        assert name in report.figures
        path = out / name
        assert path.is_file() and 0 < path.stat().st_size < 200_000, name


def test_every_row_has_a_prediction_a_measurement_and_a_verdict(quick_run):
    _, report = quick_run
    assert len(report.claims) >= 15
    for c in report.claims:
        assert c.predicted is not None, c.claim
        # every quick-mode row is measured: none is "not measured"
        assert c.measured is not None, c.claim
        assert c.verdict in ("pass", "fail"), (c.claim, c.verdict)
        assert c.tolerance is not None and c.parameters, c.claim
        if c.error is not None:
            assert math.isfinite(c.error), c.claim


def _rows(report, *words):
    rows = [c for c in report.claims if all(w in c.claim for w in words)]
    assert rows, words
    return rows


def test_deterministic_rows_pass(quick_run):
    """k_max from the PDE and the lattices, and the fitted gamma_max, are deterministic checks."""
    _, report = quick_run
    for row in _rows(report, "k_max = argmax_k gamma_k"):
        assert row.passed, (row.claim, row.predicted, row.measured)
        assert row.predicted == row.measured
    for row in _rows(report, "is gamma_max", "near-uniform start"):
        assert row.passed, (row.claim, row.predicted, row.measured, row.error)
    pde_rows = _rows(report, "is gamma_max", "pde")
    assert all(r.error < 1e-5 for r in pde_rows)          # the PDE reproduces gamma_k to ~1e-7


def test_statistical_rows_are_reported_with_their_tolerances(quick_run):
    _, report = quick_run
    frac = _rows(report, "first clusters", "number k_max")[0]
    assert 0.0 <= frac.measured <= 1.0 and 0.4 < frac.predicted < 0.9     # linear Monte Carlo, §2.5
    slope = _rows(report, "t_lin", "ln N")[0]
    assert slope.relative and slope.tolerance >= 0.15
    assert slope.measured > 0                                   # t_lin grows with N
    level = _rows(report, "sqrt(N) W_1")[0]
    assert level.passed                                        # the iid N^-1/2 level is robust
