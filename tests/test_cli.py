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


# -- clean errors instead of tracebacks (hostile but realistic inputs) ---------------------------
def one_error_line(result) -> str:
    """The single non-empty line of a failed command, which must start with 'error:'."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip() and "SweepSpec(" not in line
             and not line.startswith("->")]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_a_config_path_that_is_a_directory_is_a_clean_error(tmp_path, command):
    line = one_error_line(runner.invoke(app, [command, str(tmp_path)]))
    assert f"{tmp_path}: is a directory, not a TOML file" in line


def test_a_run_too_large_for_memory_is_refused_before_allocating(tmp_path):
    text = (EXAMPLES / "circle.toml").read_text()
    big = tmp_path / "big.toml"
    big.write_text(text.replace("n = 400", "n = 100000000000"))
    # 1e11 tokens on S^1: 1.6 TB per float64 state, 8 working copies, 201 saved states
    line = one_error_line(runner.invoke(app, ["simulate", str(big), "-o", str(tmp_path / "r.zarr")]))
    assert f"{big}: [init].n=100000000000: needs at least 334 TB of memory (1.6 TB per state" in line
    assert "Fix: lower n" in line and not (tmp_path / "r.zarr").exists()
    big.write_text(text.replace("n = 400", "n = 1e11"))
    line = one_error_line(runner.invoke(app, ["simulate", str(big)]))
    assert "[init].n=100000000000.0: is a float, not an integer" in line and "n = 100000000000" in line


def table_degrees(output: str) -> list[int]:
    """The degrees k listed in the growth-rate table of `predict`."""
    return [int(m) for m in re.findall(r"^[│|]\s*(\d+)\s*[│|]", output, re.M)]


def test_predict_at_a_huge_beta_exits_cleanly():
    result = CliRunner().invoke(app, ["predict", "--beta", "1e12", "--d", "2", "--normalization", "sa"],
                                env={"COLUMNS": "120"})
    assert "Traceback" not in result.output and result.exit_code in (0, 2), result.output
    if result.exit_code == 2:                       # the theory needs more memory than there is
        assert one_error_line(result).startswith("error: --beta 1e+12:")
    else:                                           # k_max ~ sqrt(2 beta) = 1.41e6: a window of rows
        assert len(table_degrees(result.output)) == 4 + 17 and "<- k_max" in result.output


def test_predict_lists_a_window_around_a_large_k_max_and_any_K():
    result = CliRunner().invoke(app, ["predict", "--beta", "1e4", "--d", "2", "--normalization", "sa"],
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    # k_max ~ sqrt(2 beta) = 141.4 for large beta [B]; rows 0-3 and k_max +- 8, not 0..2 k_max + 2
    assert table_degrees(result.output) == [0, 1, 2, 3, *range(133, 150)]
    assert re.search(r"141 .*<- k_max", result.output)
    small_K = CliRunner().invoke(app, ["predict", "--beta", "20", "--d", "2", "--K", "2"])
    assert small_K.exit_code == 0, small_K.output             # K below k_max = 6 used to raise IndexError
    assert table_degrees(small_K.output) == [0, 1, 2] and re.search(r"k_max\s*[│|]\s*6\b", small_K.output)


def test_plot_of_things_that_are_not_runs(tmp_path):
    empty = tmp_path / "folder"
    empty.mkdir()
    line = one_error_line(runner.invoke(app, ["plot", str(empty)]))
    assert f"path='{empty}': is not an attnflow run (no Zarr group with attnflow metadata)" in line
    text = tmp_path / "notes.nc"
    text.write_text("not NetCDF")
    line = one_error_line(runner.invoke(app, ["plot", str(text)]))
    assert f"path='{text}': is not a NetCDF run written by attnflow" in line and "not a valid NetCDF" in line
    import xarray as xr

    other = tmp_path / "other.nc"
    xr.Dataset({"a": ("t", np.arange(3.0))}).to_netcdf(other, engine="scipy")
    line = one_error_line(runner.invoke(app, ["plot", str(other)]))
    assert f"path='{other}': is a NetCDF file but not an attnflow run" in line
    from attnflow.sweep import load_sweep, run_sweep

    grid = tmp_path / "grid.zarr"
    run_sweep(load_sweep(EXAMPLES / "sweep-small.toml"), grid, scheduler="serial", progress=False,
              max_cells=1)
    line = one_error_line(runner.invoke(app, ["plot", str(grid)]))
    assert "is a sweep store, not a run" in line and "attnflow plot-sweep" in line


def test_unwritable_outputs_are_named_before_anything_runs(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("a file, not a folder")                     # unwritable for root too
    cfg = small_circle(tmp_path)
    line = one_error_line(runner.invoke(app, ["simulate", str(cfg), "-o", str(blocker / "run.zarr"),
                                              "--no-progress"]))
    assert f"--out='{blocker / 'run.zarr'}' cannot be written: '{blocker}' is a file, not a folder" in line
    line = one_error_line(runner.invoke(app, ["sweep", str(EXAMPLES / "sweep-small.toml"), "--store",
                                              str(blocker / "s.zarr"), "--scheduler", "tcp://127.0.0.1:1"]))
    assert f"store='{blocker / 's.zarr'}' cannot be written" in line and "scheduler" not in line


def test_an_unreachable_scheduler_is_named_as_such(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = runner.invoke(app, ["sweep", str(EXAMPLES / "sweep-small.toml"), "--store",
                                     str(tmp_path / "s.zarr"), "--scheduler", "tcp://127.0.0.1:1"])
    line = one_error_line(result)
    assert "scheduler='tcp://127.0.0.1:1' cannot be reached" in line and "Fix: check the address" in line
