"""``overwrite`` never deletes what is not an attnflow store (io.save, the CLI, sweeps)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import attnflow as af
from attnflow import io
from attnflow.cli import app
from attnflow.sweep import load_sweep, run_sweep

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def user_files(root: Path) -> dict[str, bytes]:
    """A directory of a user's own files (what an overwrite must not touch)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "notes.txt").write_text("my thesis notes")
    (root / "sub").mkdir()
    (root / "sub" / "data.npy").write_bytes(b"\x93NUMPY precious")
    return snapshot(root)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tiny_solution() -> af.Solution:
    m = af.AttentionModel(2, 1.0, normalization="usa")
    return af.simulate(m, af.sphere.uniform(6, 2, seed=0), 0.1, 0.05)


def run_file(tmp_path: Path) -> Path:
    text = (EXAMPLES / "circle.toml").read_text()
    text = re.sub(r"(?m)^n = \d+$", "n = 20", text)
    text = re.sub(r"(?m)^t1 = [0-9.]+$", "t1 = 0.05", text)
    text = re.sub(r"(?m)^save_every = [0-9.]+$", "save_every = 0.05", text)
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_save_overwrite_refuses_a_directory_of_user_files(tmp_path):
    target = tmp_path / "mine"
    before = user_files(target)
    with pytest.raises(FileExistsError, match=r"not an attnflow run store.*nothing was deleted"):
        io.save(tiny_solution(), target, overwrite=True)
    assert snapshot(target) == before


def test_save_overwrite_refuses_a_store_with_foreign_files_and_a_plain_netcdf(tmp_path):
    sol = tiny_solution()
    store = io.save(sol, tmp_path / "run.zarr")
    (store / "notes.txt").write_text("put here by hand")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        io.save(sol, store, overwrite=True)
    assert (store / "notes.txt").read_text() == "put here by hand"
    nc = tmp_path / "other.nc"
    import xarray as xr
    xr.Dataset({"a": ("t", np.arange(3.0))}).to_netcdf(nc, engine="scipy")
    with pytest.raises(FileExistsError, match="not an attnflow run store"):
        io.save(sol, nc, overwrite=True)
    assert xr.open_dataset(nc, engine="scipy")["a"].size == 3


def test_save_overwrite_replaces_a_run_store_and_a_run_netcdf(tmp_path):
    sol = tiny_solution()
    for name in ("run.zarr", "run.nc"):
        path = io.save(sol, tmp_path / name)
        assert io.store_kind(path) == "run"
        io.save(sol, path, overwrite=True)
        np.testing.assert_array_equal(io.load(path).x, sol.x)


def test_cli_overwrite_keeps_a_user_directory(tmp_path):
    cfg = run_file(tmp_path)
    target = tmp_path / "results"
    before = user_files(target)
    res = runner.invoke(app, ["simulate", str(cfg), "--out", str(target), "--overwrite", "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "nothing was deleted" in res.output and "Traceback" not in res.output
    assert snapshot(target) == before


def test_cli_overwrite_of_the_working_directory_deletes_nothing(tmp_path, monkeypatch):
    cfg = run_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    res = runner.invoke(app, ["simulate", cfg.name, "--out", ".", "--overwrite", "--no-progress"])
    assert res.exit_code == 2, res.output
    assert snapshot(tmp_path) == before and cfg.exists()


def test_cli_overwrite_replaces_its_own_run_but_not_a_sweep_store(tmp_path):
    cfg = run_file(tmp_path)
    out = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", str(cfg), "--out", str(out), "--no-progress"]).exit_code == 0
    res = runner.invoke(app, ["simulate", str(cfg), "--out", str(out), "--overwrite", "--no-progress"])
    assert res.exit_code == 0, res.output
    sweep_store = tmp_path / "grid.zarr"
    run_sweep(load_sweep(EXAMPLES / "sweep-small.toml"), sweep_store, scheduler="serial",
              progress=False, max_cells=1)
    assert io.store_kind(sweep_store) == "sweep"
    res = runner.invoke(app, ["simulate", str(cfg), "--out", str(sweep_store), "--overwrite",
                              "--no-progress"])
    assert res.exit_code == 2 and "sweep store, not a run store" in res.output
    assert io.store_kind(sweep_store) == "sweep"


def test_sweep_overwrite_refuses_user_files_and_run_stores(tmp_path):
    spec = load_sweep(EXAMPLES / "sweep-small.toml")
    target = tmp_path / "mine"
    before = user_files(target)
    with pytest.raises(FileExistsError, match="not an attnflow sweep store"):
        run_sweep(spec, target, scheduler="serial", overwrite=True, progress=False)
    assert snapshot(target) == before
    run = io.save(tiny_solution(), tmp_path / "run.zarr")
    with pytest.raises(FileExistsError, match="run store, not a sweep store"):
        run_sweep(spec, run, scheduler="serial", overwrite=True, progress=False)
    assert io.store_kind(run) == "run"
    store = tmp_path / "grid.zarr"
    run_sweep(spec, store, scheduler="serial", progress=False, max_cells=1)
    summary = run_sweep(spec, store, scheduler="serial", overwrite=True, progress=False, max_cells=2)
    assert summary.computed == 2 and summary.already_done == 0


def test_a_symlink_is_never_followed_into_a_deletion(tmp_path):
    real = io.save(tiny_solution(), tmp_path / "run.zarr")
    link = tmp_path / "link.zarr"
    os.symlink(real, link)
    with pytest.raises(FileExistsError):
        io.save(tiny_solution(), link, overwrite=True)
    assert io.store_kind(real) == "run"
