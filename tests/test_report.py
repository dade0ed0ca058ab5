import math

import xarray as xr

from attnflow.experiments import EXPERIMENTS, run_experiment
from attnflow.experiments.report import Report, compare


def test_compare_verdicts():
    ok = compare("rate", 2.0, 2.01, 0.01, "beta = 1", relative=True)
    assert ok.passed and ok.verdict == "pass" and math.isclose(ok.error, 0.005)
    bad = compare("rate", 2.0, 2.5, 0.1, "beta = 1")
    assert bad.passed is False and bad.verdict == "fail" and math.isclose(bad.error, 0.5)
    missing = compare("rate", 2.0, float("nan"), 0.1, "beta = 1")
    assert missing.passed is None and missing.verdict == "not measured"
    categorical = compare("k_max", "3", "three", 0, "beta = 5")
    assert categorical.passed is None


def test_report_writes_markdown_and_zarr(tmp_path):
    rep = Report("demo", "A title", "A paper", "quick")
    rep.add(compare("x", 1.0, 1.0, 1e-12, "p"))
    rep.add(compare("y", 1.0, 3.0, 0.5, "q", note="does not hold because ..."))
    rep.data["series"] = [1.0, 2.0, 3.0]
    rep.notes.append("what was not found")
    path = rep.write(tmp_path)
    text = path.read_text()
    assert "| x | 1 | 1 | 0 |" in text and "**pass**" in text and "**fail**" in text
    assert "1 pass, 1 fail, 0 not measured" in text and "what was not found" in text
    ds = xr.open_zarr(tmp_path / "results.zarr", consolidated=False)
    assert ds.attrs["experiment"] == "demo" and list(ds["series"].values) == [1.0, 2.0, 3.0]


def test_unknown_experiment_is_a_clear_error(tmp_path):
    import pytest

    with pytest.raises(ValueError, match=r"name='nope'.*known experiment"):
        run_experiment("nope", tmp_path)
    assert isinstance(EXPERIMENTS, dict)
