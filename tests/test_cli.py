"""Tests of the ``attnflow`` command line (typer app in attnflow.cli)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from attnflow import __version__, io
from attnflow.cli import app
from attnflow.config import load_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


def small_circle(tmp_path: Path, n: int = 60, t1: float = 0.2) -> Path:
    """examples/circle.toml with fewer tokens and a shorter run."""
    text = (EXAMPLES / "circle.toml").read_text()
    text = re.sub(r"(?m)^n = \d+$", f"n = {n}", text)
    text = re.sub(r"(?m)^t1 = [0-9.]+$", f"t1 = {t1}", text)
    text = re.sub(r"(?m)^save_every = [0-9.]+$", "save_every = 0.05", text)
    path = tmp_path / "circle_small.toml"
    path.write_text(text)
    cfg = load_config(path)
    assert cfg.init.n == n and cfg.run.t1 == t1                 # the edit took effect
    return path


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_simulate_writes_a_store_that_io_loads(tmp_path):
    cfg = small_circle(tmp_path)
    out = tmp_path / "run.zarr"
    result = runner.invoke(app, ["simulate", str(cfg), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "energy" in result.output and "complete" in result.output
    compact = re.sub(r"[\s│]", "", result.output)          # the table may fold long paths
    assert str(out) in compact
    sol = io.load(out)
    np.testing.assert_allclose(sol.t, [0.0, 0.05, 0.1, 0.15, 0.2], atol=1e-12)
    assert sol.x.shape == (5, 60, 2)
    np.testing.assert_allclose(np.linalg.norm(sol.x, axis=-1), 1.0, atol=1e-12)
    assert sol.model.normalization == "usa" and sol.model.beta == 5.0 and sol.model.d == 2
    assert sol.method == "rk4"
    for name in ("energy", "order_parameter", "order_parameter_2", "cluster_count"):
        assert sol.observables[name].shape == (5,)
    assert np.all(np.diff(sol.observables["energy"]) >= 0)   # USA with A = V = I: gradient ascent


def test_simulate_refuses_to_overwrite_then_resumes_and_overwrites(tmp_path):
    cfg = small_circle(tmp_path)
    out = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--no-progress"]
                         ).exit_code == 0
    first = io.load(out)
    again = runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--no-progress"])
    assert again.exit_code == 2
    assert "--resume" in again.output and "Traceback" not in again.output
    resumed = runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--resume",
                                  "--no-progress"])
    assert resumed.exit_code == 0, resumed.output
    np.testing.assert_array_equal(io.load(out).x, first.x)
    replaced = runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--overwrite",
                                   "--no-progress"])
    assert replaced.exit_code == 0, replaced.output
    np.testing.assert_array_equal(io.load(out).x, first.x)


def test_plot_writes_png_files(tmp_path):
    cfg = small_circle(tmp_path)
    out = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--no-progress"]
                         ).exit_code == 0
    figs = tmp_path / "figs"
    result = runner.invoke(app, ["plot", str(out), "--out", str(figs)])
    assert result.exit_code == 0, result.output
    for name in ("trajectories.png", "observables.png"):
        path = figs / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size > 5000
    # default: next to the run
    result = runner.invoke(app, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "trajectories.png").read_bytes()[:8] == PNG_SIGNATURE
    assert (tmp_path / "observables.png").exists()


def test_animate_writes_a_gif_with_one_frame_per_save(tmp_path):
    from PIL import Image

    cfg = small_circle(tmp_path)
    out = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--no-progress"]
                         ).exit_code == 0
    gif = tmp_path / "movie.gif"
    result = runner.invoke(app, ["animate", str(out), "--out", str(gif), "--predicted", "--fps", "5"])
    assert result.exit_code == 0, result.output
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.n_frames == 5                                   # saves at t = 0, 0.05, ..., 0.2
    result = runner.invoke(app, ["animate", str(out)])            # default: run.gif next to the run
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run.gif").stat().st_size > 1000
    bad = runner.invoke(app, ["animate", str(out), "--out", str(tmp_path / "movie.avi")])
    assert bad.exit_code == 2 and ".gif" in bad.output and "Traceback" not in bad.output


def test_animate_refuses_a_run_without_states(tmp_path):
    cfg = small_circle(tmp_path)
    text = cfg.read_text().replace("save_states = true", "save_states = false")
    cfg.write_text(text)
    out = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", str(cfg), "-o", str(out), "--no-progress"]
                         ).exit_code == 0
    result = runner.invoke(app, ["animate", str(out)])
    assert result.exit_code == 2
    assert "no saved states" in result.output and "save_states = true" in result.output


def test_plot_of_a_missing_run_exits_2(tmp_path):
    result = runner.invoke(app, ["plot", str(tmp_path / "nothing.zarr")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (("dt = 0.005", "dtt = 0.005"), ["[run]", "'dtt'", "Valid keys"]),
        (("dt = 0.005", "dt = -1"), ["[run].dt=-1", "must be > 0"]),
        (('method = "rk4"', 'method = "rk5"'), ["[run].method", '"rk5"']),
        (("beta = 5.0", 'beta = "hot"'), ["[model].beta"]),
        (('A = "identity"', "A = [[1, 0, 0]]"), ["[model].A"]),
    ],
)
def test_bad_config_exits_2_with_a_one_line_message(tmp_path, edit, fragments):
    text = (EXAMPLES / "circle.toml").read_text()
    assert edit[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    out = tmp_path / "never.zarr"
    result = runner.invoke(app, ["simulate", str(bad), "--out", str(out), "--no-progress"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    for fragment in fragments:
        assert fragment in lines[0]
    assert not out.exists()


def test_missing_config_exits_2(tmp_path):
    result = runner.invoke(app, ["simulate", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_demo_clusters_and_reports(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.md").read_text()
    # the circle gathers into k_max = 3 clusters, the sphere into one
    assert re.search(r"## circle.*?final cluster count \| 3 ", summary, re.S)
    assert re.search(r"## sphere.*?final cluster count \| 1 ", summary, re.S)
    assert summary.count("| energy non-decreasing | yes |") == 2
    for name in ("circle", "sphere"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE
        sol = io.load(out / f"{name}.zarr")
        assert sol.x.shape[-1] == (2 if name == "circle" else 3)


def test_predict_prints_rates_and_k_max():
    result = CliRunner().invoke(app, ["predict", "--beta", "5", "--d", "2"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "18.5961" in result.output                      # gamma_3 = 9 I_3(5)/5
    assert "<- k_max" in result.output and "t_linear" in result.output
    bad = CliRunner().invoke(app, ["predict", "--beta", "nan", "--d", "2"])
    assert bad.exit_code == 2 and "beta=nan" in bad.output
